"""Console texts: assignment plans (key -> (ru, kk, en); terms as in checklists/library/README.md).

A plan is «план» / «жоспар», its draft «черновик» / «жоба», a visit «визит» / «сапар», approved
«одобрен» / «мақұлданған» (as the review queue says it). Numbers come in already formatted for the
language; unit and region names come from the directory as they are.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {
    "console.nav.plans": ("Планы", "Жоспарлар", "Plans"),
    # the list and the draft form
    "plans.title": ("Планы визитов", "Сапар жоспарлары", "Visit plans"),
    "plans.intro": (
        "План месяца даёт каждому подразделению нужное число визитов, не отправляя аудитора туда, где он"
        " недавно был. Составьте черновик, прочитайте предупреждения и опубликуйте: задания придут на"
        " планшеты аудиторов.",
        "Ай жоспары әр бөлімшеге қажетті сапар санын береді және аудиторды жақында болған жеріне"
        " жібермейді. Жобаны құрып, ескертулерді оқып, жариялаңыз: тапсырмалар аудиторлардың"
        " планшеттеріне келеді.",
        "A month's plan gives every unit the visits it needs and never sends an auditor back too soon."
        " Draft one, read its warnings and publish it: the assignments reach the auditors' tablets.",
    ),
    "plans.filter.period": ("Месяц", "Ай", "Month"),
    "plans.filter.show": ("Показать", "Көрсету", "Show"),
    "plans.list.heading": ("Планы месяца: {period}", "{period} жоспарлары", "Plans for {period}"),
    "plans.list.empty": (
        "На этот месяц планов ещё нет.",
        "Бұл айға жоспар әлі жоқ.",
        "No plans for this month yet.",
    ),
    "plans.coverage.link": (
        "Выполнение плана: {period}",
        "{period} жоспарының орындалуы",
        "Coverage of {period}",
    ),
    "plans.col.plan": ("План", "Жоспар", "Plan"),
    "plans.col.status": ("Состояние", "Күйі", "Status"),
    "plans.col.drafted": ("Составил", "Құрастырған", "Drafted by"),
    "plans.col.published": ("Опубликовал", "Жариялаған", "Published by"),
    "plans.col.visits": ("Визитов", "Сапарлар", "Visits"),
    "plans.col.warnings": ("Предупреждения", "Ескертулер", "Warnings"),
    "plans.status.draft": ("черновик", "жоба", "draft"),
    "plans.status.published": ("опубликован", "жарияланған", "published"),
    "plans.status.superseded": ("заменён", "ауыстырылған", "superseded"),
    "plans.warnings.count": ("{n} предупр.", "{n} ескерту", "{n} warnings"),
    "plans.warnings.none_short": ("нет", "жоқ", "none"),
    "plans.draft.heading": ("Составить черновик", "Жоба құрастыру", "Draft a plan"),
    "plans.draft.intro": (
        "Правила плана — файл TOML: месяц, число визитов по видам подразделений или нужная точность,"
        " перерыв между визитами одного аудитора в одно подразделение, нагрузка аудиторов, часы и доля"
        " калибровочных пар. Измените текст ниже или загрузите файл.",
        "Жоспар ережелері — TOML файлы: ай, бөлімше түрлері бойынша сапар саны немесе қажетті дәлдік,"
        " бір аудитордың бір бөлімшеге сапарлары арасындағы үзіліс, аудиторлар жүктемесі, сағаттар және"
        " калибрлеу жұптарының үлесі. Төмендегі мәтінді өзгертіңіз немесе файл жүктеңіз.",
        "The plan's rules are a TOML file: the month, the visits per unit kind or a target precision,"
        " the days before an auditor may return to a unit, the auditors' capacity, the hours and the"
        " share of calibration pairs. Edit the text below or upload a file.",
    ),
    "plans.draft.policy": ("Правила плана (TOML)", "Жоспар ережелері (TOML)", "Plan policy (TOML)"),
    "plans.draft.policy_help": (
        "Текст читается как TOML (или JSON, если начинается с «{»). Комментарии в примере объясняют каждое поле.",
        "Мәтін TOML ретінде оқылады (немесе «{» белгісімен басталса, JSON). Мысалдағы түсініктемелер әр"
        " өрісті түсіндіреді.",
        "The text is read as TOML (or JSON when it starts with “{”). The example's comments explain every field.",
    ),
    "plans.draft.file": ("Или файл правил", "Немесе ережелер файлы", "Or a policy file"),
    "plans.draft.file_help": (
        "Файл .toml или .json до {mb} МБ; если выбран, он заменяет текст выше.",
        "{mb} МБ дейінгі .toml немесе .json файлы; таңдалса, жоғарыдағы мәтіннің орнына алынады.",
        "A .toml or .json file up to {mb} MB; when chosen it is used instead of the text above.",
    ),
    "plans.draft.submit": ("Составить черновик", "Жобаны құрастыру", "Draft the plan"),
    "plans.draft.invalid": (
        "В правилах плана есть ошибки ({n}); ничего не сохранено. Исправьте их в тексте ниже:",
        "Жоспар ережелерінде қателер бар ({n}); ештеңе сақталмады. Оларды төмендегі мәтінде түзетіңіз:",
        "The plan policy has problems ({n}); nothing was saved. Correct them in the text below:",
    ),
    "plans.draft.document": ("(весь документ)", "(бүкіл құжат)", "(the document)"),
    # refusals, by the API's code
    "plans.refusal.empty": (
        "Введите правила плана или выберите файл.",
        "Жоспар ережелерін енгізіңіз немесе файл таңдаңыз.",
        "Type the plan policy or choose a file.",
    ),
    "plans.refusal.too_long": (
        "Текст правил слишком длинный.",
        "Ережелер мәтіні тым ұзын.",
        "The policy text is too long.",
    ),
    "plans.refusal.period_closed": (
        "Этот месяц уже закрыт: план на него составить нельзя.",
        "Бұл ай жабылған: оған жоспар құруға болмайды.",
        "That month is closed: no plan can be drafted for it.",
    ),
    "plans.refusal.invalid_period": (
        "Месяц указан неверно.",
        "Ай қате көрсетілген.",
        "The month is not valid.",
    ),
    "plans.refusal.plan_stale": (
        "Опубликовать нельзя: с момента составления черновика изменились данные, из которых он составлен"
        " (подразделение, аудитор или опубликован другой план). Составьте черновик заново.",
        "Жариялауға болмайды: жоба құрастырылғаннан бері оның деректері өзгерді (бөлімше, аудитор немесе"
        " басқа жоспар жарияланды). Жобаны қайта құрастырыңыз.",
        "This draft cannot be published: what it was drafted from has changed since (a unit, an auditor,"
        " or another plan was published). Draft it again.",
    ),
    "plans.refusal.plan_not_draft": (
        "Этот план уже не черновик: опубликовать его нельзя.",
        "Бұл жоспар енді жоба емес: оны жариялауға болмайды.",
        "This plan is no longer a draft: it cannot be published.",
    ),
    "plans.refusal.other": (
        "Сервер отказал в действии.",
        "Сервер әрекеттен бас тартты.",
        "The server refused the action.",
    ),
    "plans.redraft": (
        "Составить черновик заново с теми же правилами",
        "Сол ережелермен жобаны қайта құрастыру",
        "Draft again with the same policy",
    ),
    # one plan
    "plans.plan.title": ("План: {period}", "{period} жоспары", "Plan for {period}"),
    "plans.back": ("← Планы месяца: {period}", "← {period} жоспарлары", "← Plans for {period}"),
    "plans.done.drafted": (
        "Черновик составлен. Прочитайте предупреждения, затем опубликуйте.",
        "Жоба құрастырылды. Ескертулерді оқып, содан кейін жариялаңыз.",
        "The draft is ready. Read its warnings, then publish it.",
    ),
    "plans.done.published": (
        "План опубликован. Заданий: {n}; они придут на планшеты аудиторов при следующей синхронизации.",
        "Жоспар жарияланды. Тапсырмалар: {n}; олар келесі синхрондауда аудиторлардың планшеттеріне келеді.",
        "The plan is published: {n} assignments reach the auditors' tablets on their next sync.",
    ),
    "plans.fact.plan": ("Номер", "Нөмірі", "Id"),
    "plans.fact.period": ("Месяц", "Ай", "Month"),
    "plans.fact.drafted": ("Составил", "Құрастырған", "Drafted by"),
    "plans.fact.published": ("Опубликовал", "Жариялаған", "Published by"),
    "plans.fact.visits": ("Визитов", "Сапарлар", "Visits"),
    "plans.fact.pairs": ("из них калибровочных: {n}", "оның ішінде калибрлеу: {n}", "calibration: {n}"),
    "plans.fact.seed": ("Зерно случайности", "Кездейсоқтық дәні", "Seed"),
    "plans.fact.policy": ("Правила (SHA-256)", "Ережелер (SHA-256)", "Policy (SHA-256)"),
    "plans.sections": ("Разделы плана", "Жоспар бөлімдері", "Sections of the plan"),
    "plans.warnings.heading": ("Предупреждения", "Ескертулер", "Warnings"),
    "plans.warnings.none": (
        "Предупреждений нет: каждое подразделение получает нужное число визитов.",
        "Ескертулер жоқ: әр бөлімше қажетті сапар санын алады.",
        "No warnings: every unit gets the visits it needs.",
    ),
    "plans.warning.unit_below_minimum": (
        "{unit} ({unit_id}, {region}): запланировано {planned} из {needed} нужных визитов.",
        "{unit} ({unit_id}, {region}): қажетті {needed} сапардың {planned} жоспарланды.",
        "{unit} ({unit_id}, {region}): {planned} of the {needed} visits it needs are planned.",
    ),
    "plans.warning.region_short": (
        "{region}: запланировано {planned} из {needed} нужных визитов — у аудиторов региона не хватает"
        " свободного времени (с учётом перерыва между визитами).",
        "{region}: қажетті {needed} сапардың {planned} жоспарланды — өңір аудиторларының бос уақыты"
        " жетпейді (сапарлар арасындағы үзілісті ескергенде).",
        "{region}: {planned} of the {needed} visits needed are planned — the region's auditors lack the"
        " capacity (within the days before they may return).",
    ),
    "plans.warning.no_auditor": (
        "{region}: ни один аудитор не может посещать подразделения региона; нужно {needed} визитов.",
        "{region}: бірде-бір аудитор өңір бөлімшелеріне бара алмайды; {needed} сапар қажет.",
        "{region}: no auditor may visit the region's units; {needed} visits are needed.",
    ),
    "plans.warning.no_checklist": (
        "{unit} ({unit_id}): для этого вида подразделений нет действующего чек-листа — подразделение не запланировано.",
        "{unit} ({unit_id}): бөлімшенің бұл түріне қолданыстағы чек-парақ жоқ — бөлімше жоспарланбады.",
        "{unit} ({unit_id}): no checklist in force for its kind of unit — the unit is not planned.",
    ),
    "plans.warning.calibration_short": (
        "Калибровочных пар запланировано {planned} из {needed}: второго свободного аудитора не нашлось.",
        "Калибрлеу жұптары {needed} ішінен {planned} жоспарланды: бос екінші аудитор табылмады.",
        "{planned} of {needed} calibration pairs are planned: no second auditor was free.",
    ),
    "plans.warning.staff_heading": (
        "Сотрудники, чей коэффициент опирался бы на слишком мало визитов: {n}",
        "Коэффициенті тым аз сапарға сүйенетін қызметкерлер: {n}",
        "Staff whose coefficient would rest on too few visits: {n}",
    ),
    "plans.warning.staff_hint": (
        "Визит оценивает того, кто обслужил аудитора; даже при равном распределении визитов на каждого"
        " приходится меньше, чем требует политика мотивации.",
        "Сапар аудиторға қызмет көрсеткен адамды бағалайды; сапарлар тең бөлінсе де, әр адамға"
        " мотивация саясаты талап ететіннен аз келеді.",
        "A visit scores the person who served the auditor; even spread evenly, each person gets fewer"
        " visits than the motivation policy requires.",
    ),
    "plans.warning.staff_below_minimum": (
        "{unit} ({unit_id}): визитов — {visits}, сотрудников — {n}; для коэффициента каждому нужно {needed}.",
        "{unit} ({unit_id}): сапарлар — {visits}, қызметкерлер — {n}; коэффициент үшін әркімге {needed} сапар қажет.",
        "{unit} ({unit_id}): {visits} visits for {n} staff; a coefficient needs {needed} visits each.",
    ),
    "plans.warning.staff_names": ("Кто ({n})", "Кімдер ({n})", "Who ({n})"),
    "plans.publish.heading": ("Публикация", "Жариялау", "Publish"),
    "plans.publish.intro": (
        "Публикация создаст задания ({n}) на месяц «{period}»; они придут на планшеты аудиторов. Ранее"
        " опубликованный план этого месяца будет заменён, его задания без визита — отозваны.",
        "Жариялау «{period}» айына тапсырмалар ({n}) жасайды; олар аудиторлардың планшеттеріне келеді. Осы"
        " айдың бұрын жарияланған жоспары ауыстырылады, оның сапарсыз тапсырмалары кері қайтарылады.",
        "Publishing creates {n} assignments for {period}; they reach the auditors' tablets. A plan of"
        " this month published earlier is superseded and its assignments without a visit withdrawn.",
    ),
    "plans.publish.submit": ("Опубликовать план", "Жоспарды жариялау", "Publish the plan"),
    "plans.read_only.published": (
        "План опубликован и не меняется. Чтобы изменить его, составьте новый черновик.",
        "Жоспар жарияланған және өзгермейді. Өзгерту үшін жаңа жоба құрастырыңыз.",
        "The plan is published and does not change. To change it, draft a new one.",
    ),
    "plans.read_only.superseded": (
        "План заменён более поздним опубликованным планом этого месяца.",
        "Жоспар осы айдың кейінірек жарияланған жоспарымен ауыстырылған.",
        "The plan was superseded by a later published plan of this month.",
    ),
    "plans.regions.heading": ("По регионам", "Өңірлер бойынша", "By region"),
    "plans.regions.hint": (
        "Мощность — сумма месячных лимитов аудиторов региона (аудитор нескольких регионов учтён в каждом).",
        "Қуат — өңір аудиторларының айлық шектерінің қосындысы (бірнеше өңірдің аудиторы әрқайсысында есептеледі).",
        "Capacity is the sum of the monthly limits of the region's auditors (one serving several regions"
        " counts in each).",
    ),
    "plans.auditors.heading": ("По аудиторам", "Аудиторлар бойынша", "By auditor"),
    "plans.units.heading": ("По подразделениям", "Бөлімшелер бойынша", "By unit"),
    "plans.units.caption": (
        "Нужно и запланировано в этом месяце; для сравнения — {previous}.",
        "Осы айда қажет және жоспарланған; салыстыру үшін — {previous}.",
        "Needed and planned this month; {previous} for comparison.",
    ),
    "plans.pairs.heading": ("Калибровочные пары", "Калибрлеу жұптары", "Calibration pairs"),
    "plans.pairs.hint": (
        "Второй аудитор оценивает то же событие (запись звонка или материалы визита), чтобы сравнить оценки.",
        "Екінші аудитор бағаларды салыстыру үшін сол оқиғаны (қоңырау жазбасын немесе сапар материалдарын) бағалайды.",
        "A second auditor scores the same event (a recorded call or the visit's evidence) to compare the scores.",
    ),
    "plans.pairs.none": (
        "В плане нет калибровочных пар.",
        "Жоспарда калибрлеу жұптары жоқ.",
        "The plan has no calibration pairs.",
    ),
    "plans.visits.heading": ("Визиты", "Сапарлар", "Visits"),
    "plans.col.region": ("Регион", "Өңір", "Region"),
    "plans.col.needed": ("Нужно", "Қажет", "Needed"),
    "plans.col.planned": ("Запланировано", "Жоспарланған", "Planned"),
    "plans.col.auditors": ("Аудиторов", "Аудиторлар", "Auditors"),
    "plans.col.capacity": ("Мощность в месяц", "Айлық қуат", "Capacity a month"),
    "plans.col.auditor": ("Аудитор", "Аудитор", "Auditor"),
    "plans.col.regions": ("Регионы", "Өңірлер", "Regions"),
    "plans.col.days": ("Дней", "Күндер", "Days"),
    "plans.col.per_month": ("Лимит в месяц", "Айлық шек", "Limit a month"),
    "plans.col.unit": ("Подразделение", "Бөлімше", "Unit"),
    "plans.col.previous_planned": ("План, {previous}", "Жоспар, {previous}", "Planned, {previous}"),
    "plans.col.previous_done": ("Проведено, {previous}", "Өткізілген, {previous}", "Done, {previous}"),
    "plans.col.day": ("День", "Күн", "Day"),
    "plans.col.time": ("Время", "Уақыт", "Time"),
    "plans.col.first_auditor": ("Аудитор визита", "Сапар аудиторы", "Visit's auditor"),
    "plans.col.second_auditor": ("Второй аудитор", "Екінші аудитор", "Second auditor"),
    "plans.col.calibration_of": ("Калибровка", "Калибрлеу", "Calibration"),
    "plans.col.assignment": ("Задание", "Тапсырма", "Assignment"),
    "plans.col.done": ("Проведено", "Өткізілген", "Done"),
    "plans.col.approved": ("Одобрено", "Мақұлданған", "Approved"),
    "plans.col.mark": ("Итог", "Қорытынды", "Standing"),
    "plans.col.staff": ("Сотрудник", "Қызметкер", "Staff member"),
    "plans.col.min_visits": ("Нужно визитов", "Қажетті сапарлар", "Visits needed"),
    "plans.calibration_of": ("повтор визита {auditor}", "{auditor} сапарының қайталауы", "rescores {auditor}'s visit"),
    "plans.every_region": ("все регионы", "барлық өңірлер", "every region"),
    "plans.mark.short": ("мало", "аз", "short"),
    "plans.mark.none": ("никого", "ешкім", "none"),
    "plans.total": ("Итого", "Барлығы", "Total"),
    # coverage
    "plans.coverage.title": ("Выполнение плана", "Жоспардың орындалуы", "Coverage"),
    "plans.coverage.heading": ("Выполнение плана: {period}", "Жоспардың орындалуы: {period}", "Coverage: {period}"),
    "plans.coverage.intro": (
        "По каждому подразделению: сколько визитов нужно, запланировано, проведено и одобрено. Сотрудник"
        " с менее чем {min} одобренными визитами получает нейтральный коэффициент.",
        "Әр бөлімше бойынша: қанша сапар қажет, жоспарланған, өткізілген және мақұлданған. {min}"
        " мақұлданған сапардан азы бар қызметкер бейтарап коэффициент алады.",
        "Per unit: the visits needed, planned, done and approved. A staff member with fewer than {min}"
        " approved visits gets the neutral coefficient.",
    ),
    "plans.coverage.from_plan": (
        "Нужное число визитов — из опубликованного плана:",
        "Қажетті сапар саны жарияланған жоспардан алынды:",
        "The visits needed come from the published plan:",
    ),
    "plans.coverage.no_plan": (
        "Опубликованного плана на этот месяц нет: нужно не меньше {min} визитов на подразделение.",
        "Бұл айға жарияланған жоспар жоқ: бөлімшеге кемінде {min} сапар қажет.",
        "No plan is published for this month: every unit needs at least {min} visits.",
    ),
    "plans.cover.reached": ("✓ выполнено", "✓ орындалды", "✓ reached"),
    "plans.cover.awaiting": ("≈ ждёт одобрения", "≈ мақұлдауды күтуде", "≈ awaiting approval"),
    "plans.cover.below": ("! ниже минимума", "! ең азынан төмен", "! below minimum"),
    "plans.coverage.units": ("Подразделения", "Бөлімшелер", "Units"),
    "plans.coverage.no_units": ("Активных подразделений нет.", "Белсенді бөлімшелер жоқ.", "No active units."),
    "plans.coverage.below_units": (
        "Подразделения ниже минимума: {n}",
        "Ең азынан төмен бөлімшелер: {n}",
        "Units below their minimum: {n}",
    ),
    "plans.coverage.no_below_units": (
        "Все подразделения получили нужное число одобренных визитов.",
        "Барлық бөлімшелер қажетті мақұлданған сапар санын алды.",
        "Every unit has the approved visits it needs.",
    ),
    "plans.coverage.below_staff": (
        "Сотрудники ниже минимума: {n}",
        "Ең азынан төмен қызметкерлер: {n}",
        "Staff below their minimum: {n}",
    ),
    "plans.coverage.no_below_staff": (
        "У каждого сотрудника достаточно одобренных визитов.",
        "Әр қызметкерде мақұлданған сапарлар жеткілікті.",
        "Every staff member has enough approved visits.",
    ),
}
