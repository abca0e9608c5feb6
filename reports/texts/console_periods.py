"""Console texts: month end (key -> (ru, kk, en); terms as in checklists/library/README.md).

The `console.periods.col.*` and `console.periods.about.*` texts are also the column titles of the
motivation and snapshot files for people (`?lang=` on the API's CSV and XLSX, `reports.tables`).
`flag.provisional` joins the scorecards' `flag.insufficient_sample`: a row's flags in words.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {
    # a row's flag in words (reports.i18n.flag)
    "flag.provisional": (
        "предварительно: месяц не закрыт",
        "алдын ала: ай жабылмаған",
        "provisional: the month is not closed",
    ),
    # the columns of the files for people (and of the page's table)
    "console.periods.col.staff_id": ("Табельный номер", "Табель нөмірі", "Staff ID"),
    "console.periods.col.name": ("Сотрудник", "Қызметкер", "Employee"),
    "console.periods.col.unit_id": ("Код подразделения", "Бөлімше коды", "Unit ID"),
    "console.periods.col.unit_name": ("Подразделение", "Бөлімше", "Unit"),
    "console.periods.col.position": ("Должность", "Лауазымы", "Position"),
    "console.periods.col.score": ("Персональная оценка", "Жеке баға", "Person score"),
    "console.periods.col.n": ("Визитов (n)", "Сапарлар (n)", "Visits (n)"),
    "console.periods.col.ci_low": ("Интервал: от", "Аралық: бастап", "Interval: from"),
    "console.periods.col.ci_high": ("Интервал: до", "Аралық: дейін", "Interval: to"),
    "console.periods.col.coefficient": ("Коэффициент", "Коэффициент", "Coefficient"),
    "console.periods.col.policy_id": ("Политика мотивации", "Мотивация саясаты", "Motivation policy"),
    "console.periods.col.policy_version": ("Версия политики", "Саясат нұсқасы", "Policy version"),
    "console.periods.col.flags": ("Отметки", "Белгілер", "Flags"),
    # what a closed month's workbook says of itself (its second sheet)
    "console.periods.about.period": ("Месяц", "Ай", "Month"),
    "console.periods.about.snapshot_id": ("Снимок (id)", "Сурет (id)", "Snapshot ID"),
    "console.periods.about.sha256": ("SHA-256 строк", "Жолдардың SHA-256", "SHA-256 of the rows"),
    "console.periods.about.policy": ("Политика мотивации", "Мотивация саясаты", "Motivation policy"),
    "console.periods.about.policy_sha256": ("SHA-256 политики", "Саясаттың SHA-256", "SHA-256 of the policy"),
    "console.periods.about.closed_at": ("Закрыт (UTC)", "Жабылған уақыты (UTC)", "Closed at (UTC)"),
    "console.periods.about.closed_by": ("Кем закрыт", "Кім жапты", "Closed by"),
    "console.periods.about.forced": (
        "Закрыт при непроверенных визитах",
        "Тексерілмеген сапарлармен жабылды",
        "Closed with visits awaiting review",
    ),
    "console.periods.about.rows": ("Строк", "Жолдар саны", "Rows"),
    # the list of months
    "console.periods.title": ("Закрытие месяца", "Айды жабу", "Month end"),
    "console.periods.intro": (
        "Открытый месяц можно просмотреть и закрыть, когда он закончился и все визиты проверены."
        " Закрытый месяц — снимок строк мотивации, который больше не меняется.",
        "Ашық айды қарап шығуға және ол аяқталып, барлық сапарлар тексерілгенде жабуға болады."
        " Жабылған ай — мотивация жолдарының енді өзгермейтін суреті.",
        "An open month can be previewed, and closed once it has ended and every visit is reviewed."
        " A closed month is a snapshot of the motivation rows that never changes.",
    ),
    "console.periods.goto": ("Открыть месяц", "Айды ашу", "Open a month"),
    "console.periods.goto.submit": ("Открыть", "Ашу", "Open"),
    "console.periods.goto.bad": (
        "«{typed}» — не месяц: введите его как ГГГГ-ММ, например 2026-10.",
        "«{typed}» — ай емес: оны ЖЖЖЖ-АА түрінде енгізіңіз, мысалы 2026-10.",
        "“{typed}” is not a month: type it as YYYY-MM, e.g. 2026-10.",
    ),
    "console.periods.open": ("Открытые месяцы", "Ашық айлар", "Open months"),
    "console.periods.open.none": ("Открытых месяцев нет.", "Ашық айлар жоқ.", "There is no open month."),
    "console.periods.closed": ("Закрытые месяцы", "Жабылған айлар", "Closed months"),
    "console.periods.closed.none": (
        "Закрытых месяцев пока нет.",
        "Жабылған айлар әзірге жоқ.",
        "No month has been closed yet.",
    ),
    "console.periods.col.month": ("Месяц", "Ай", "Month"),
    "console.periods.col.state": ("Состояние", "Күйі", "State"),
    "console.periods.col.awaiting": ("Ждут проверки", "Тексеруді күтуде", "Awaiting review"),
    "console.periods.col.closed_at": ("Закрыт", "Жабылған уақыты", "Closed at"),
    "console.periods.col.closed_by": ("Кем закрыт", "Кім жапты", "Closed by"),
    "console.periods.col.rows": ("Строк", "Жолдар", "Rows"),
    "console.periods.col.snapshot": ("Снимок", "Сурет", "Snapshot"),
    "console.periods.col.staff": ("Сотрудник", "Қызметкер", "Employee"),
    "console.periods.col.interval": ("Интервал", "Аралық", "Interval"),
    "console.periods.state.running": (
        "идёт; закрыть можно с {day}",
        "жүріп жатыр; {day} бастап жабуға болады",
        "running; can be closed from {day}",
    ),
    "console.periods.state.out_of_range": (
        "закрыть нельзя: только месяцы 2000–2099",
        "жабуға болмайды: тек 2000–2099 жылдардың айлары",
        "cannot be closed: only months of 2000–2099",
    ),
    "console.periods.state.awaiting": (
        "закончился; есть непроверенные визиты",
        "аяқталды; тексерілмеген сапарлар бар",
        "ended; some visits await review",
    ),
    "console.periods.state.ready": (
        "закончился; можно закрыть",
        "аяқталды; жабуға болады",
        "ended; ready to close",
    ),
    "console.periods.forced": (
        "закрыт при непроверенных визитах",
        "тексерілмеген сапарлармен жабылды",
        "closed with visits awaiting review",
    ),
    "console.periods.forced.label": (
        "Закрыт при непроверенных визитах",
        "Тексерілмеген сапарлармен жабылды",
        "Closed with visits awaiting review",
    ),
    "console.periods.forced.yes": ("да", "иә", "yes"),
    "console.periods.forced.no": ("нет", "жоқ", "no"),
    "console.periods.snapshot_id": ("Снимок", "Сурет", "Snapshot"),
    # one month
    "console.periods.back": ("← Все месяцы", "← Барлық айлар", "← All months"),
    "console.periods.heading": ("{month}: мотивация", "{month}: мотивация", "{month}: motivation"),
    "console.periods.status.open": ("открыт", "ашық", "open"),
    "console.periods.status.closed": ("закрыт", "жабылған", "closed"),
    "console.periods.snapshot": ("Снимок месяца", "Айдың суреті", "The month's snapshot"),
    "console.periods.policy": ("Политика мотивации", "Мотивация саясаты", "Motivation policy"),
    "console.periods.files": ("Скачать строки", "Жолдарды жүктеп алу", "Download the rows"),
    "console.periods.file.csv_comma": (
        "CSV, разделитель «,»",
        "CSV, бөлгіш «,»",
        "CSV, separated by “,”",
    ),
    "console.periods.file.csv_semicolon": (
        "CSV, разделитель «;» (Excel с десятичной запятой)",
        "CSV, бөлгіш «;» (ондық үтірі бар Excel)",
        "CSV, separated by “;” (Excel with a decimal comma)",
    ),
    "console.periods.file.xlsx": ("XLSX (Excel)", "XLSX (Excel)", "XLSX (Excel)"),
    "console.periods.preview.note": (
        "Предварительные строки: считаются сейчас по одобренным визитам и последней политике ({policy})."
        " Они заморозятся при закрытии месяца.",
        "Алдын ала жолдар: қазір мақұлданған сапарлар мен соңғы саясат ({policy}) бойынша есептеледі."
        " Ай жабылғанда олар бекітіледі.",
        "Provisional rows: computed now from the approved visits with the latest policy ({policy})."
        " They are frozen when the month is closed.",
    ),
    "console.periods.blockers": ("Что мешает закрытию", "Жабуға не кедергі", "What blocks the close"),
    "console.periods.blockers.none": (
        "Все визиты месяца проверены.",
        "Айдың барлық сапарлары тексерілді.",
        "Every visit of the month has been reviewed.",
    ),
    "console.periods.blockers.waiting": (
        "Визитов ждут проверки: {n}. Руководитель по качеству проверит их в очереди:",
        "Тексеруді күтетін сапарлар: {n}. Сапа жөніндегі жетекші оларды кезекте тексереді:",
        "{n} visit(s) await review. The quality lead reviews them in the queue:",
    ),
    "console.periods.waiting.received": ("получены, не проверены", "алынды, тексерілмеген", "received, not reviewed"),
    "console.periods.waiting.needs_review": ("требуют разбора", "қарауды қажет етеді", "need review"),
    "console.periods.waiting.awaiting_evidence": (
        "ждут файлов подтверждения",
        "дәлел файлдарын күтуде",
        "awaiting evidence",
    ),
    "console.periods.waiting.open_queue": ("открыть в очереди", "кезекте ашу", "open in the queue"),
    "console.periods.reason.period_not_ended": (
        "Месяц ещё не закончился: закрыть его можно с {day} 00:00 ({zone}).",
        "Ай әлі аяқталған жоқ: оны {day} 00:00 ({zone}) бастап жабуға болады.",
        "The month has not ended yet: it can be closed from {day} 00:00 ({zone}).",
    ),
    "console.periods.reason.period_out_of_range": (
        "Этот месяц закрыть нельзя: закрываются только месяцы с 2000 по 2099 год.",
        "Бұл айды жабуға болмайды: тек 2000–2099 жылдардың айлары жабылады.",
        "This month cannot be closed: only months from 2000 to 2099 can.",
    ),
    "console.periods.close": ("Закрыть месяц", "Айды жабу", "Close the month"),
    "console.periods.close.not_yours": (
        "Закрывает месяц HR или администратор.",
        "Айды HR немесе әкімші жабады.",
        "HR or an administrator closes the month.",
    ),
    "console.periods.close.not_now": (
        "Сейчас этот месяц закрыть нельзя (см. выше).",
        "Бұл айды қазір жабуға болмайды (жоғарыда қараңыз).",
        "This month cannot be closed now (see above).",
    ),
    "console.periods.close.summary": (
        "Закрыть {month}: будет заморожено строк мотивации — {n}.",
        "{month} жабу: бекітілетін мотивация жолдары — {n}.",
        "Close {month}: {n} motivation row(s) will be frozen.",
    ),
    "console.periods.close.explain": (
        "Снимок закрытого месяца больше не меняется. Визиты, одобренные позже, станут корректировками,"
        " которые учтёт снимок следующего закрытого месяца.",
        "Жабылған айдың суреті енді өзгермейді. Кейін мақұлданған сапарлар келесі жабылған айдың"
        " суреті ескеретін түзетулерге айналады.",
        "A closed month's snapshot never changes. Visits approved later become adjustments that the"
        " next closed month's snapshot carries.",
    ),
    "console.periods.close.type": (
        "Для подтверждения введите месяц: {period}",
        "Растау үшін айды енгізіңіз: {period}",
        "To confirm, type the month: {period}",
    ),
    "console.periods.close.type_help": (
        "В виде ГГГГ-ММ, как в адресе страницы.",
        "ЖЖЖЖ-АА түрінде, бет мекенжайындағыдай.",
        "As YYYY-MM, as in the page's address.",
    ),
    "console.periods.blockers.appeals": (
        "Открытых апелляций по визитам месяца: {n}. Руководитель по качеству решает их в разделе апелляций.",
        "Айдың сапарлары бойынша ашық апелляциялар: {n}. Сапа жөніндегі жетекші оларды апелляциялар бөлімінде шешеді.",
        "{n} appeal(s) on visits of the month are open. The quality lead decides them on the appeals page.",
    ),
    "console.periods.close.force_appeals": (
        "Закрыть, хотя апелляции открыты: {n} (решения по ним станут корректировками)",
        "Апелляциялар ашық болса да жабу: {n} (олар бойынша шешімдер түзетулерге айналады)",
        "Close although {n} appeal(s) are open (decisions on them become adjustments)",
    ),
    "console.periods.close.force": (
        "Закрыть, хотя визитов ждут проверки: {n} (решения по ним станут корректировками)",
        "Тексеруді күтетін сапарлар болса да жабу: {n} (олар бойынша шешімдер түзетулерге айналады)",
        "Close although {n} visit(s) await review (decisions on them become adjustments)",
    ),
    "console.periods.close.submit": ("Закрыть {month}", "{month} жабу", "Close {month}"),
    "console.periods.done.closed": (
        "{month} закрыт: строки заморожены в снимке.",
        "{month} жабылды: жолдар суретте бекітілді.",
        "{month} is closed: its rows are frozen in the snapshot.",
    ),
    "console.periods.done.period_closed": (
        "{month} уже закрыт; снимок не изменился.",
        "{month} әлдеқашан жабылған; сурет өзгерген жоқ.",
        "{month} was already closed; its snapshot did not change.",
    ),
    "console.periods.error.mismatch": (
        "Введённый месяц «{typed}» не совпадает с {period}. Ничего не закрыто.",
        "Енгізілген ай «{typed}» {period} айымен сәйкес келмейді. Ештеңе жабылған жоқ.",
        "The month typed, “{typed}”, is not {period}. Nothing was closed.",
    ),
    "console.periods.error.changed": (
        "Строки месяца изменились, пока страница была открыта (например, одобрен визит). Ничего не закрыто:"
        " проверьте строки ниже и закройте снова.",
        "Бет ашық тұрғанда айдың жолдары өзгерді (мысалы, сапар мақұлданды). Ештеңе жабылған жоқ:"
        " төмендегі жолдарды тексеріп, қайта жабыңыз.",
        "The month's rows changed while the page was open (a visit approved, say). Nothing was closed:"
        " look at the rows below and close again.",
    ),
    "console.periods.error.unreviewed_submissions": (
        "Визиты месяца ещё ждут проверки. Ничего не закрыто: проверьте их или отметьте «Закрыть, хотя…».",
        "Айдың сапарлары әлі тексеруді күтуде. Ештеңе жабылған жоқ: оларды тексеріңіз немесе «…болса да жабу»"
        " белгісін қойыңыз.",
        "Visits of the month still await review. Nothing was closed: review them, or tick “Close although…”.",
    ),
    "console.periods.error.open_appeals": (
        "По визитам месяца есть нерешённые апелляции. Ничего не закрыто: решите их или отметьте «Закрыть, хотя…».",
        "Айдың сапарлары бойынша шешілмеген апелляциялар бар. Ештеңе жабылған жоқ: оларды шешіңіз немесе"
        " «…болса да жабу» белгісін қойыңыз.",
        "Appeals on visits of the month are still open. Nothing was closed: decide them, or tick “Close although…”.",
    ),
    "console.periods.error.period_not_ended": (
        "{month} ещё не закончился. Ничего не закрыто.",
        "{month} әлі аяқталған жоқ. Ештеңе жабылған жоқ.",
        "{month} has not ended yet. Nothing was closed.",
    ),
    "console.periods.error.period_out_of_range": (
        "Закрываются только месяцы с 2000 по 2099 год. Ничего не закрыто.",
        "Тек 2000–2099 жылдардың айлары жабылады. Ештеңе жабылған жоқ.",
        "Only months from 2000 to 2099 can be closed. Nothing was closed.",
    ),
    "console.periods.error.no_policy": (
        "Политика мотивации не опубликована. Ничего не закрыто.",
        "Мотивация саясаты жарияланбаған. Ештеңе жабылған жоқ.",
        "No motivation policy is published. Nothing was closed.",
    ),
    "console.periods.rows.preview": (
        "Строки мотивации (предварительные)",
        "Мотивация жолдары (алдын ала)",
        "Motivation rows (provisional)",
    ),
    "console.periods.rows.closed": ("Строки мотивации", "Мотивация жолдары", "Motivation rows"),
    "console.periods.rows.caption": (
        "Строки {first}–{last} из {n}",
        "{n} жолдың {first}–{last}",
        "Rows {first}–{last} of {n}",
    ),
    "console.periods.rows.none": (
        "Строк нет: в справочнике нет активных сотрудников и оценённых в этом месяце.",
        "Жолдар жоқ: анықтамалықта белсенді қызметкерлер де, осы айда бағаланғандар да жоқ.",
        "No rows: no active staff member and nobody assessed in this month.",
    ),
    "console.periods.paging": ("Страницы строк", "Жол беттері", "Pages of rows"),
    "console.periods.carried": (
        "Корректировки прошлых месяцев в этом снимке",
        "Осы суреттегі өткен айлардың түзетулері",
        "Adjustments of earlier months this snapshot carries",
    ),
    "console.periods.carried.caption": (
        "Что изменилось в закрытых ранее месяцах до этого закрытия",
        "Осы жабуға дейін бұрын жабылған айларда не өзгерді",
        "What changed in months closed earlier, up to this close",
    ),
    "console.periods.carried.none": (
        "Снимок не несёт корректировок прошлых месяцев.",
        "Суретте өткен айлардың түзетулері жоқ.",
        "This snapshot carries no adjustment of an earlier month.",
    ),
    "console.periods.later": (
        "Изменения после закрытия",
        "Жабылғаннан кейінгі өзгерістер",
        "Changes after the close",
    ),
    "console.periods.later.caption": (
        "Визиты этого месяца, решённые после его закрытия",
        "Осы айдың жабылғаннан кейін шешілген сапарлары",
        "Visits of this month decided after its close",
    ),
    "console.periods.later.none": (
        "После закрытия ничего не изменилось.",
        "Жабылғаннан кейін ештеңе өзгерген жоқ.",
        "Nothing has changed since the close.",
    ),
    "console.periods.adj.score_before": ("Оценка: было", "Баға: бұрын", "Score before"),
    "console.periods.adj.score_after": ("Оценка: стало", "Баға: кейін", "Score after"),
    "console.periods.adj.before": ("Коэфф.: было", "Коэфф.: бұрын", "Coeff. before"),
    "console.periods.adj.after": ("Коэфф.: стало", "Коэфф.: кейін", "Coeff. after"),
    "console.periods.adj.change": ("Изменение коэфф.", "Коэфф. өзгерісі", "Coeff. change"),
    "console.periods.adj.state": ("Учтено", "Ескерілді", "Carried"),
    "console.periods.adj.pending": (
        "учтёт следующее закрытие",
        "келесі жабу ескереді",
        "the next close carries it",
    ),
    "console.periods.adj.carried_by": ("снимком", "суретпен", "by snapshot"),
}
