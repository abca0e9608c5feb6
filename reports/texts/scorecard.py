"""The scorecards' fixed texts (key -> (ru, kk, en)).

Terms follow the glossary in `checklists/library/README.md` (подразделение / бөлімше, визит /
тексеру сапары, критичный пункт / аса маңызды тармақ, ...). Texts avoid counted nouns
("Визитов: 12" rather than "12 визитов") so that no plural rules are needed, and thresholds are
written with ≥ and < so that no Kazakh case ending has to agree with a number.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {
    # header
    "brand": (
        "АО «Казахтелеком» · Tekseru: аудит качества обслуживания",
        "«Қазақтелеком» АҚ · Tekseru: қызмет көрсету сапасының аудиті",
        "Kazakhtelecom JSC · Tekseru service quality audit",
    ),
    "title.unit": ("Оценочная карта подразделения", "Бөлімшенің бағалау картасы", "Unit scorecard"),
    "title.staff": (
        "Персональная оценочная карта сотрудника",
        "Қызметкердің жеке бағалау картасы",
        "Personal scorecard",
    ),
    "title.network": ("Оценочная карта сети", "Желінің бағалау картасы", "Network scorecard"),
    "network.subject": ("Все подразделения: {kind}", "Барлық бөлімшелер: {kind}", "All units: {kind}"),
    "language.name": ("русский", "қазақ тілі", "English"),
    "label.language": ("Язык", "Тілі", "Language"),
    "label.region": ("Регион", "Өңір", "Region"),
    "label.basis": ("Учтены", "Есепке алынғаны", "Counted"),
    "basis.approved": ("только одобренные визиты", "тек мақұлданған сапарлар", "approved visits only"),
    "basis.provisional": (
        "ПРЕДВАРИТЕЛЬНО: учтены и отправленные визиты, ещё не одобренные",
        "АЛДЫН АЛА: әлі мақұлданбаған жіберілген сапарлар да есепке алынды",
        "PROVISIONAL: includes submitted visits not yet approved",
    ),
    # unit kinds: one unit, and all units of the kind
    "kind.branch": ("Пункт сети сервиса (ПСС)", "Қызмет көрсету орталығы", "Service point (branch)"),
    "kind.contact_centre": ("Контакт-центр", "Байланыс орталығы", "Contact centre"),
    "kind.field_technician": ("Бригада монтёров", "Монтерлер бригадасы", "Technician crew"),
    "kinds.branch": ("пункты сети сервиса", "қызмет көрсету орталықтары", "service points"),
    "kinds.contact_centre": ("группы контакт-центра", "байланыс орталығының топтары", "contact-centre teams"),
    "kinds.field_technician": ("бригады монтёров", "монтерлер бригадалары", "technician crews"),
    # the headline figures
    "kpi.score.unit": ("Средняя оценка визитов", "Сапарлардың орташа бағасы", "Mean visit score"),
    "kpi.score.staff": ("Средняя персональная оценка", "Орташа жеке баға", "Mean person score"),
    "kpi.score.network": (
        "Средняя оценка визитов по сети",
        "Желі бойынша сапарлардың орташа бағасы",
        "Network mean visit score",
    ),
    "kpi.visits": ("Визитов: {n}", "Сапарлар саны: {n}", "Visits: {n}"),
    "kpi.units": ("Подразделений с визитами: {n}", "Сапары бар бөлімшелер: {n}", "Units with visits: {n}"),
    "kpi.change": (
        "Изменение к прошлому периоду",
        "Өткен кезеңмен салыстырғандағы өзгеріс",
        "Change vs previous period",
    ),
    "kpi.previous": ("Прошлый период: {score}", "Өткен кезең: {score}", "Previous period: {score}"),
    "kpi.no_previous": ("За прошлый период оценки нет", "Өткен кезеңде баға жоқ", "No score for the previous period"),
    "kpi.zone": ("Зона", "Аймақ", "Zone"),
    "kpi.thresholds": (
        "зелёная ≥ {green} · жёлтая ≥ {amber} · красная < {amber}",
        "жасыл ≥ {green} · сары ≥ {amber} · қызыл < {amber}",
        "green ≥ {green} · amber ≥ {amber} · red < {amber}",
    ),
    "kpi.policy": ("Политика мотивации {policy}", "Мотивация саясаты: {policy}", "Motivation policy {policy}"),
    "kpi.coefficient": ("Коэффициент премирования", "Сыйақы коэффициенті", "Bonus coefficient"),
    "kpi.no_coefficient": ("не рассчитан", "есептелмеген", "not computed"),
    # red / amber / green, always shown with the word so that it reads in black and white
    "mark.green": ("ЗЕЛЁНАЯ", "ЖАСЫЛ", "GREEN"),
    "mark.amber": ("ЖЁЛТАЯ", "САРЫ", "AMBER"),
    "mark.red": ("КРАСНАЯ", "ҚЫЗЫЛ", "RED"),
    "mark.none": ("НЕТ ОЦЕНКИ", "БАҒА ЖОҚ", "NO SCORE"),
    "no_visits": (
        "В этом периоде не было ни одного визита: оценки нет, стандарты не оценивались.",
        "Бұл кезеңде бірде-бір тексеру сапары болмады: баға жоқ, стандарттар бағаланбады.",
        "There were no visits in this period: there is no score, and no standard was assessed.",
    ),
    # sections
    "sec.trend": ("Динамика за последние 6 периодов", "Соңғы 6 кезеңдегі динамика", "Trend over the last 6 periods"),
    "sec.standards_chart": (
        "Стандарты по средней оценке, сначала самые слабые",
        "Стандарттар орташа баға бойынша, ең әлсіздері басында",
        "Standards by mean score, weakest first",
    ),
    "sec.standards": ("Стандарты обслуживания", "Қызмет көрсету стандарттары", "Service standards"),
    "sec.failed": (
        "Невыполненные пункты и комментарии аудиторов",
        "Орындалмаған тармақтар және аудиторлардың түсініктемелері",
        "Failed items and auditors' comments",
    ),
    "sec.staff": ("Сотрудники", "Қызметкерлер", "Staff"),
    "sec.appeals": (
        "Апелляции подразделения за месяц",
        "Бөлімшенің осы айдағы апелляциялары",
        "The unit's appeals this month",
    ),
    "sec.evidence": (
        "Фото по невыполненным критичным пунктам",
        "Орындалмаған аса маңызды тармақтардың фотосуреттері",
        "Photos of failed critical items",
    ),
    "sec.ranking": (
        "Рейтинг подразделений по средней оценке визитов",
        "Сапарлардың орташа бағасы бойынша бөлімшелер рейтингі",
        "Units ranked by mean visit score",
    ),
    "sec.weakest": (
        "Стандарты, которые по сети выполняются реже всего",
        "Желі бойынша ең сирек орындалатын стандарттар",
        "Standards met least often across the network",
    ),
    "note.staff_scope": (
        "В персональную оценку входят только стандарты, зависящие от самого сотрудника.",
        "Жеке бағаға тек қызметкердің өзіне байланысты стандарттар кіреді.",
        "Only the standards that depend on the employee count in the person score.",
    ),
    "note.failed": (
        "Аудиторы анонимны; даты визитов указаны без времени.",
        "Аудиторлар жасырын; сапар күндері уақытсыз көрсетілген.",
        "Auditors stay anonymous; visit dates are given without the time of day.",
    ),
    "note.standards": (
        "Оценка: средняя 0–100; выполнен: доля визитов, в которых выполнены все пункты стандарта; n: число визитов.",
        "Баға: орташа 0–100; орындалды: стандарттың барлық тармақтары орындалған сапарлардың үлесі; n: сапарлар саны.",
        "Score: mean 0–100; met: share of visits in which every item of the standard passed; n: visits.",
    ),
    # table headers
    "col.code": ("Код", "Код", "Code"),
    "col.standard": ("Стандарт", "Стандарт", "Standard"),
    "col.score": ("Оценка", "Баға", "Score"),
    "col.met": ("Выполнен, %", "Орындалды, %", "Met, %"),
    "col.n": ("n", "n", "n"),
    "col.date": ("Дата", "Күні", "Date"),
    "col.item": ("Пункт", "Тармақ", "Item"),
    "col.question": ("Вопрос", "Сұрақ", "Question"),
    "col.comment": ("Комментарий аудитора", "Аудитордың түсініктемесі", "Auditor's comment"),
    "col.name": ("Сотрудник", "Қызметкер", "Employee"),
    "col.position": ("Должность", "Лауазымы", "Position"),
    "col.person_score": ("Перс. оценка", "Жеке баға", "Person score"),
    "col.coefficient": ("Коэфф.", "Коэфф.", "Coeff."),
    "col.notes": ("Примечания", "Ескертпелер", "Notes"),
    "col.rank": ("Место", "Орны", "Rank"),
    "col.unit": ("Подразделение", "Бөлімше", "Unit"),
    "col.region": ("Регион", "Өңір", "Region"),
    "col.change": ("Изменение", "Өзгеріс", "Change"),
    "col.zone": ("Зона", "Аймақ", "Zone"),
    # failed items
    "critical.zero": (
        "Критичный пункт: обнуляет оценку визита",
        "Аса маңызды тармақ: сапар бағасын нөлге теңейді",
        "Critical item: sets the visit score to 0",
    ),
    "critical.flag": (
        "Критичный пункт: требует разбора",
        "Аса маңызды тармақ: қосымша қарауды талап етеді",
        "Critical item: flagged for follow-up",
    ),
    "failed.group": (
        "{code} · {title} — невыполнений: {n}",
        "{code} · {title} — орындалмағаны: {n}",
        "{code} · {title} — failed: {n}",
    ),
    "no_comment": ("без комментария", "түсініктемесіз", "no comment"),
    "flag.insufficient_sample": (
        "мало визитов: нейтральный коэффициент",
        "сапарлар аз: бейтарап коэффициент",
        "too few visits: neutral coefficient",
    ),
    "flag.under_appeal": (
        "на апелляции: визит месяца оспаривается",
        "апелляцияда: айдың сапарына дау айтылуда",
        "under appeal: a visit of the month is disputed",
    ),
    "failed.overturned": (
        "↺ Изменён по апелляции",
        "↺ Апелляция бойынша өзгертілді",
        "↺ Overturned on appeal",
    ),
    "note.overturned": (
        "↺ — ответ аудитора по пункту изменён по апелляции подразделения решением руководителя по качеству;"
        " оценки учитывают изменённый ответ.",
        "↺ — бөлімшенің апелляциясы бойынша сапа жөніндегі жетекшінің шешімімен аудитордың жауабы өзгертілді;"
        " бағалар өзгертілген жауапты есепке алады.",
        "↺ — the auditor's answer was changed on the unit's appeal by the quality lead's decision;"
        " the figures count the answer as changed.",
    ),
    # the month's appeals (unit scorecards)
    "col.appeals_filed": ("Подано апелляций", "Берілген апелляциялар", "Appeals filed"),
    "col.appeal_items": ("Оспорено пунктов", "Дау айтылған тармақтар", "Items disputed"),
    "col.appeal_upheld": ("Оставлено в силе", "Күшінде қалды", "Upheld"),
    "col.appeal_overturned": ("Изменено", "Өзгертілді", "Overturned"),
    "col.appeal_open": ("Ждут решения", "Шешім күтуде", "Awaiting decision"),
    "col.appeal_withdrawn": ("Отозвано", "Кері алынды", "Withdrawn"),
    "note.appeals": (
        "Все столбцы, кроме первого, — пункты: оспорено = оставлено в силе + изменено + ждут решения + отозвано."
        " Аудиторы остаются анонимными для подразделения.",
        "Біріншісінен басқа бағандардың бәрі — тармақтар: дау айтылғаны = күшінде қалғаны + өзгертілгені +"
        " шешім күтудегісі + кері алынғаны. Аудиторлар бөлімше үшін жасырын қалады.",
        "Every column but the first counts items: disputed = upheld + overturned + awaiting decision + withdrawn."
        " Auditors stay anonymous to the unit.",
    ),
    # the month's calibration (network scorecards): counts only, no auditor named
    "sec.calibration": (
        "Калибровка аудиторов за месяц",
        "Аудиторларды осы айдағы калибрлеу",
        "Auditor calibration this month",
    ),
    "network.calibration": (
        "Калибровочных групп: {groups} · аудиторов: {auditors} · ниже порога согласия ({threshold}): {below}",
        "Калибрлеу топтары: {groups} · аудиторлар: {auditors} · келісім шегінен ({threshold}) төмен: {below}",
        "Calibration groups: {groups} · auditors: {auditors} · below the agreement threshold ({threshold}): {below}",
    ),
    "col.calibration_level": ("Шкала пунктов", "Тармақтар шкаласы", "Items' scale"),
    "col.calibration_alpha": ("Альфа Криппендорфа", "Криппендорф альфасы", "Krippendorff's alpha"),
    "col.calibration_units": ("Пунктов в группах", "Топтардағы тармақтар", "Items in groups"),
    "col.calibration_values": ("Ответов", "Жауаптар", "Answers"),
    "network.level.nominal": (
        "да/нет и выбор (номинальная)",
        "иә/жоқ және таңдау (номиналды)",
        "yes/no and choice (nominal)",
    ),
    "network.level.ordinal": ("баллы (порядковая)", "ұпайлар (реттік)", "scales (ordinal)"),
    "network.level.interval": (
        "длительности и числа (интервальная)",
        "ұзақтықтар мен сандар (интервалдық)",
        "durations and numbers (interval)",
    ),
    "note.calibration": (
        "Калибровка: два аудитора или более независимо оценивают одно и то же событие. Альфа 1 — полное"
        " согласие, 0 — не лучше случайного; данным доверяют при α ≥ 0,800, предварительно при α ≥ 0,667;"
        " «—» — рассчитать нельзя (ответы не различаются). Аудиторы в карте не называются.",
        "Калибрлеу: екі немесе одан көп аудитор бір оқиғаны өзара тәуелсіз бағалайды. Альфа 1 — толық келісім,"
        " 0 — кездейсоқтан артық емес; α ≥ 0,800 болса деректерге сенеді, α ≥ 0,667 болса алдын ала сенеді;"
        " «—» — есептеу мүмкін емес (жауаптар әртүрлі емес). Аудиторлардың аты картада көрсетілмейді.",
        "Calibration: two auditors or more score the same event independently. Alpha 1 is full agreement,"
        " 0 no better than chance; data are relied on at α ≥ 0.800, tentatively at α ≥ 0.667;"
        ' "—": cannot be computed (the answers do not vary). No auditor is named on the scorecard.',
    ),
    # empty states
    "empty.standards": (
        "В этом периоде стандарты не оценивались.",
        "Бұл кезеңде стандарттар бағаланбады.",
        "No standard was assessed in this period.",
    ),
    "empty.failed": (
        "Невыполненных пунктов в этом периоде нет.",
        "Бұл кезеңде орындалмаған тармақтар жоқ.",
        "No failed items in this period.",
    ),
    "empty.staff": (
        "В этом периоде сотрудники не оценивались.",
        "Бұл кезеңде қызметкерлер бағаланбады.",
        "No employee was assessed in this period.",
    ),
    "empty.ranking": (
        "Подразделений этого типа нет.",
        "Бұл түрдегі бөлімшелер жоқ.",
        "There are no units of this kind.",
    ),
    "chart.no_visits": ("нет визитов", "сапар жоқ", "no visits"),
    "image.unreadable": ("фото не удалось прочитать", "фотоны оқу мүмкін болмады", "the photo could not be read"),
    # footer
    "footer.versions": (
        "Версии чек-листов: {versions}",
        "Тексеру парағының нұсқалары: {versions}",
        "Checklist versions: {versions}",
    ),
    "footer.policy": ("Политика мотивации: {policy}", "Мотивация саясаты: {policy}", "Motivation policy: {policy}"),
    "footer.as_of": ("Данные на {time}", "Деректер алынған уақыт: {time}", "Data as of {time}"),
    "footer.sha": (
        "SHA-256 входных данных: {sha}",
        "Кіріс деректерінің SHA-256: {sha}",
        "SHA-256 of the input data: {sha}",
    ),
    "footer.page": ("Стр. {page} из {pages}", "Бет {page} / {pages}", "Page {page} of {pages}"),
}
