"""Console texts: review (key -> (ru, kk, en); terms as in checklists/library/README.md).

The `review.reason.*` texts are also the API's: `GET /v1/submissions` answers each row's reasons
in English from these same entries (`server.store.reviews.reasons`), so their English wording is
part of the API and changes only with it.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {
    # Why a submission is where it is (the queue's reasons).
    "review.reason.changed_after_approve": (
        "изменён после одобрения {day}",
        "{day} мақұлданғаннан кейін өзгертілді",
        "changed after it was approved on {day}",
    ),
    "review.reason.changed_after_reject": (
        "изменён после отклонения {day}",
        "{day} қабылданбағаннан кейін өзгертілді",
        "changed after it was rejected on {day}",
    ),
    "review.reason.decided_approve": ("одобрен", "мақұлданды", "approved"),
    "review.reason.decided_reject": ("отклонён", "қабылданбады", "rejected"),
    "review.reason.decided_approve_comment": ("одобрен: {comment}", "мақұлданды: {comment}", "approved: {comment}"),
    "review.reason.decided_reject_comment": (
        "отклонён: {comment}",
        "қабылданбады: {comment}",
        "rejected: {comment}",
    ),
    "review.reason.conflicts": (
        "конфликтующих полей: {n} ({fields})",
        "қайшы өрістер: {n} ({fields})",
        "{n} conflicting field(s): {fields}",
    ),
    "review.reason.missing_evidence": (
        "ожидается файлов подтверждения: {n}",
        "күтілетін дәлел файлдары: {n}",
        "waiting for {n} evidence file(s)",
    ),
    "review.reason.critical_failed": (
        "не выполнен критичный пункт: {items}",
        "аса маңызды тармақ орындалмады: {items}",
        "critical item failed: {items}",
    ),
    "review.reason.flagged": ("отмечен: {flags}", "белгіленген: {flags}", "flagged: {flags}"),
    "review.reason.integrity": (
        "сигналы достоверности: {flags}",
        "сенімділік белгілері: {flags}",
        "integrity flags: {flags}",
    ),
    "review.reason.pending": (
        "ревизий ждут родительских: {n}",
        "ата-ревизияларын күтетін ревизиялар: {n}",
        "{n} revision(s) waiting for their parents",
    ),
    "review.reason.checklist_changed": (
        "ревизий по другой версии чек-листа не учтено: {n}",
        "чек-парақтың басқа нұсқасы бойынша ескерілмеген ревизиялар: {n}",
        "{n} revision(s) on another checklist version left out",
    ),
    "review.reason.unreviewed": (
        "отправлен, ещё не проверен",
        "жіберілді, әлі тексерілмеген",
        "submitted, not yet reviewed",
    ),
    "review.reason.draft": ("черновик: ещё не отправлен", "жоба: әлі жіберілмеген", "draft: not submitted yet"),
    # The queue page.
    "review.title": ("Очередь проверки", "Тексеру кезегі", "Review queue"),
    "review.tabs.label": ("Статусы", "Күйлер", "Statuses"),
    "review.status.received": ("Получены", "Алынғандар", "Received"),
    "review.status.needs_review": ("Требуют проверки", "Тексеруді қажет етеді", "Needs review"),
    "review.status.awaiting_evidence": ("Ждут подтверждений", "Дәлелдерді күтуде", "Awaiting evidence"),
    "review.status.approved": ("Одобрены", "Мақұлданғандар", "Approved"),
    "review.status.rejected": ("Отклонены", "Қабылданбағандар", "Rejected"),
    "review.status.draft": ("Черновики", "Жобалар", "Drafts"),
    "review.state.received": ("получен", "алынды", "received"),
    "review.state.needs_review": ("требует проверки", "тексеруді қажет етеді", "needs review"),
    "review.state.awaiting_evidence": ("ждёт подтверждений", "дәлелдерді күтуде", "awaiting evidence"),
    "review.state.approved": ("одобрен", "мақұлданды", "approved"),
    "review.state.rejected": ("отклонён", "қабылданбады", "rejected"),
    "review.state.draft": ("черновик", "жоба", "draft"),
    "review.filters": ("Фильтры", "Сүзгілер", "Filters"),
    "review.filter.period": ("Период", "Кезең", "Period"),
    "review.filter.kind": ("Тип подразделения", "Бөлімше түрі", "Unit kind"),
    "review.filter.region": ("Регион", "Өңір", "Region"),
    "review.filter.unit": ("Подразделение", "Бөлімше", "Unit"),
    "review.filter.checklist": ("Чек-лист", "Чек-парақ", "Checklist"),
    "review.filter.auditor": ("Аудитор", "Аудитор", "Auditor"),
    "review.filter.conflicts": ("Конфликты", "Қайшылықтар", "Conflicts"),
    "review.filter.critical": ("Критичный пункт не выполнен", "Аса маңызды тармақ орындалмады", "Critical item failed"),
    "review.filter.any": ("все", "барлығы", "any"),
    "review.filter.yes": ("да", "иә", "yes"),
    "review.filter.no": ("нет", "жоқ", "no"),
    "review.filter.sort": ("Порядок", "Реті", "Order"),
    "review.filter.apply": ("Показать", "Көрсету", "Show"),
    "review.filter.reset": ("Сбросить фильтры", "Сүзгілерді тазалау", "Clear filters"),
    "review.sort.oldest": ("сначала старые", "алдымен ескілері", "oldest first"),
    "review.sort.newest": ("сначала новые", "алдымен жаңалары", "newest first"),
    "review.sort.score": ("по оценке, с низкой", "баға бойынша, төменнен", "by score, lowest first"),
    "review.sort.unit": ("по подразделению", "бөлімше бойынша", "by unit"),
    "review.kind.branch": ("Отделение", "Бөлімше", "Branch"),
    "review.kind.contact_centre": ("Контакт-центр", "Байланыс орталығы", "Contact centre"),
    "review.kind.field_technician": ("Выездной техник", "Көшпелі техник", "Field technician"),
    "review.table.caption": (
        "Визиты со статусом «{status}»: {n}",
        "«{status}» күйіндегі тексеру сапарлары: {n}",
        "Visits with the status “{status}”: {n}",
    ),
    "review.col.select": ("Выбрать", "Таңдау", "Select"),
    "review.col.unit": ("Подразделение", "Бөлімше", "Unit"),
    "review.col.date": ("Дата визита", "Сапар күні", "Visit date"),
    "review.col.auditor": ("Аудитор", "Аудитор", "Auditor"),
    "review.col.status": ("Статус", "Күйі", "Status"),
    "review.col.score": ("Оценка", "Баға", "Score"),
    "review.col.reasons": ("Почему в очереди", "Неге кезекте", "Why it is here"),
    "review.col.conflicts": ("Конфликты", "Қайшылықтар", "Conflicts"),
    "review.col.missing": ("Нет файлов", "Жоқ файлдар", "Missing evidence"),
    "review.col.open": ("Открыть", "Ашу", "Open"),
    "review.open": ("Открыть визит", "Сапарды ашу", "Open visit"),
    "review.select_row": (
        "Выбрать визит {unit}, {date}",
        "{unit}, {date} сапарын таңдау",
        "Select visit {unit}, {date}",
    ),
    "review.select_all": ("Выбрать все на странице", "Беттегінің бәрін таңдау", "Select all on this page"),
    "review.being_reviewed": ("Сейчас смотрит: {names}", "Қазір қарап отыр: {names}", "Being reviewed by {names}"),
    "review.no_unit": ("подразделение не указано", "бөлімше көрсетілмеген", "no unit given"),
    "review.no_score": ("нет оценки", "баға жоқ", "no score"),
    "review.empty": (
        "Нет визитов, подходящих под фильтры.",
        "Сүзгілерге сәйкес тексеру сапарлары жоқ.",
        "No visits match the filters.",
    ),
    "review.approve_selected": ("Одобрить выбранные", "Таңдалғандарды мақұлдау", "Approve selected"),
    "review.approve_confirm": (
        "Одобрить выбранные визиты ({n})?",
        "Таңдалған тексеру сапарларын ({n}) мақұлдау керек пе?",
        "Approve the selected visits ({n})?",
    ),
    "review.approve_note": (
        "Каждое решение привязано к версии визита, показанной на странице: визит, изменившийся с тех пор,"
        " не будет одобрен.",
        "Әр шешім бетте көрсетілген сапар нұсқасына байланады: содан бері өзгерген сапар мақұлданбайды.",
        "Each decision is bound to the version of the visit shown on this page: a visit that changed since"
        " is not approved.",
    ),
    "review.keys": (
        "Клавиши: j/k — следующая/предыдущая строка, o или Enter — открыть, x — выбрать, a — одобрить выбранные.",
        "Пернелер: j/k — келесі/алдыңғы жол, o немесе Enter — ашу, x — таңдау, a — таңдалғандарды мақұлдау.",
        "Keys: j/k next/previous row, o or Enter open, x select, a approve selected.",
    ),
    "review.report.title": ("Результат одобрения", "Мақұлдау нәтижесі", "Approval result"),
    "review.report.approved": ("Одобрено визитов: {n}.", "Мақұлданған сапарлар: {n}.", "Visits approved: {n}."),
    "review.report.none_selected": (
        "Не выбрано ни одного визита.",
        "Бірде-бір сапар таңдалмады.",
        "No visit was selected.",
    ),
    "review.report.changed": (
        "Изменились, пока вы смотрели, и НЕ одобрены (откройте и проверьте снова):",
        "Сіз қарап отырғанда өзгерді және мақұлданбады (ашып, қайта тексеріңіз):",
        "Changed meanwhile and NOT approved (open and review again):",
    ),
    "review.report.failed": ("Не одобрены:", "Мақұлданбады:", "Not approved:"),
    "review.report.now": ("сейчас: {status}", "қазір: {status}", "now: {status}"),
    "review.problem.stale_heads": ("визит изменился", "сапар өзгерді", "the visit changed"),
    "review.problem.already_decided": (
        "по этой версии уже есть другое решение",
        "бұл нұсқа бойынша басқа шешім бар",
        "this version already has another decision",
    ),
    "review.problem.not_submitted": (
        "черновик нельзя проверять",
        "жобаны тексеруге болмайды",
        "a draft cannot be reviewed",
    ),
    "review.problem.not_found": ("визит не найден", "сапар табылмады", "no such visit"),
    "review.problem.malformed": (
        "строка формы повреждена",
        "пішін жолы бүлінген",
        "the form's row was malformed",
    ),
}
