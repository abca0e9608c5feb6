"""Console texts: calibration (key -> (ru, kk, en); terms as in checklists/library/README.md).

The quality lead's calibration page: how far auditors agree when two or more of them score the
same visit or test call. Calibration is «калибровка» / «калибрлеу», agreement «согласованность» /
«келісімділік», an auditor below the policy's threshold «ниже порога» / «шектен төмен».
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {
    "console.nav.calibration": ("Калибровка", "Калибрлеу", "Calibration"),
    # the merge field a revision sets when it is a second scoring (the visit page's change lists)
    "visit.part.calibrates": ("повторная оценка визита", "сапарды қайта бағалау", "second scoring of"),
    "calibration.title": ("Калибровка аудиторов", "Аудиторларды калибрлеу", "Auditor calibration"),
    "calibration.intro": (
        "Один и тот же визит или тестовый звонок оценивают несколько аудиторов. Чем чаще их ответы"
        " совпадают, тем надёжнее оценки, на которых начисляются премии.",
        "Бір тексеру сапарын немесе сынақ қоңырауын бірнеше аудитор бағалайды. Олардың жауаптары"
        " неғұрлым жиі сәйкес келсе, сыйақы есептелетін бағалар соғұрлым сенімді.",
        "Several auditors score the same visit or test call. The more often their answers match, the"
        " more the scores that bonuses are paid on can be trusted.",
    ),
    "calibration.threshold": (
        "Порог согласованности по политике: {share}. Аудитор ниже порога отмечен «{below}».",
        "Саясат бойынша келісімділік шегі: {share}. Шектен төмен аудитор «{below}» деп белгіленген.",
        "The policy's agreement threshold: {share}. An auditor under it is marked “{below}”.",
    ),
    "calibration.below": ("ниже порога", "шектен төмен", "below threshold"),
    "calibration.below_of": (
        "согласованность {share} ниже порога {threshold}",
        "келісімділік {share}, шектен ({threshold}) төмен",
        "agreement {share} is below the threshold of {threshold}",
    ),
    "calibration.none": ("нет данных", "дерек жоқ", "no data"),
    # agreement per auditor and month
    "calibration.months.heading": (
        "Согласованность аудиторов по месяцам",
        "Аудиторлардың айлар бойынша келісімділігі",
        "Auditor agreement by month",
    ),
    "calibration.months.caption": (
        "Доля совпавших ответов в сравнениях с другими аудиторами той же группы, по всем чек-листам, {first} — {last}",
        "Сол топтағы басқа аудиторлармен салыстырғанда сәйкес келген жауаптар үлесі, барлық тексеру"
        " парақтары бойынша, {first} — {last}",
        "Share of answers matching the other auditors of the same group, every checklist, {first} to {last}",
    ),
    "calibration.months.empty": (
        "За последние месяцы повторных оценок нет.",
        "Соңғы айларда қайта бағалау жоқ.",
        "No second scorings in the last months.",
    ),
    "calibration.col.auditor": ("Аудитор", "Аудитор", "Auditor"),
    "calibration.col.groups": ("Групп", "Топтар", "Groups"),
    "calibration.col.items": ("Ответов", "Жауаптар", "Answers"),
    "calibration.col.agreement": ("Согласованность", "Келісімділік", "Agreement"),
    "calibration.col.leniency": ("Мягкость оценок", "Бағалаудың жұмсақтығы", "Leniency"),
    "calibration.col.pair": ("Пара аудиторов", "Аудиторлар жұбы", "Pair of auditors"),
    "calibration.col.kappa": ("Каппа Коэна", "Коэн каппасы", "Cohen's kappa"),
    "calibration.col.weighted_kappa": (
        "Взвешенная каппа (шкалы)",
        "Салмақталған каппа (шкалалар)",
        "Weighted kappa (scales)",
    ),
    "calibration.col.level": ("Шкала измерения", "Өлшеу шкаласы", "Level of measurement"),
    "calibration.col.alpha": ("Альфа Криппендорфа", "Криппендорф альфасы", "Krippendorff's alpha"),
    "calibration.col.units": ("Пунктов в группах", "Топтардағы тармақтар", "Items in groups"),
    "calibration.col.values": ("Ответов", "Жауаптар", "Answers"),
    "calibration.col.item": ("Пункт чек-листа", "Тексеру парағының тармағы", "Item"),
    "calibration.col.item_agreement": ("Совпадение", "Сәйкестік", "Agreement"),
    "calibration.level.nominal": (
        "номинальная (да/нет, выбор)",
        "номиналды (иә/жоқ, таңдау)",
        "nominal (yes/no, choice)",
    ),
    "calibration.level.ordinal": ("порядковая (шкалы)", "реттік (шкалалар)", "ordinal (scales)"),
    "calibration.level.interval": (
        "интервальная (время, числа)",
        "интервалдық (уақыт, сандар)",
        "interval (durations, numbers)",
    ),
    # the chosen month and checklist
    "calibration.filters": ("Месяц и чек-лист", "Ай және тексеру парағы", "Month and checklist"),
    "calibration.filter.period": ("Месяц", "Ай", "Month"),
    "calibration.filter.checklist": ("Чек-лист", "Тексеру парағы", "Checklist"),
    "calibration.filter.show": ("Показать", "Көрсету", "Show"),
    "calibration.detail.heading": (
        "«{checklist}», {period}",
        "«{checklist}», {period}",
        "“{checklist}”, {period}",
    ),
    "calibration.detail.empty": (
        "В этом месяце у чек-листа нет повторных оценок.",
        "Бұл айда тексеру парағының қайта бағалауы жоқ.",
        "This checklist has no second scorings in this month.",
    ),
    "calibration.no_checklists": (
        "Нет чек-листов с повторными оценками за эти месяцы.",
        "Бұл айларда қайта бағаланған тексеру парақтары жоқ.",
        "No checklist has second scorings in these months.",
    ),
    "calibration.alpha.heading": (
        "Альфа Криппендорфа по шкалам измерения",
        "Өлшеу шкалалары бойынша Криппендорф альфасы",
        "Krippendorff's alpha by level of measurement",
    ),
    "calibration.alpha.hint": (
        "1 — полное согласие, 0 — не лучше случайного. Для выводов обычно нужно не ниже 0,8.",
        "1 — толық келісім, 0 — кездейсоқтан артық емес. Қорытынды үшін әдетте кемінде 0,8 қажет.",
        "1 is perfect agreement, 0 no better than chance. Conclusions usually need at least 0.8.",
    ),
    "calibration.auditors.heading": ("Аудиторы в этом месяце", "Осы айдағы аудиторлар", "Auditors this month"),
    "calibration.auditors.hint": (
        "Мягкость оценок — средняя разница между оценкой визита аудитора и оценками других аудиторов"
        " той же группы, в баллах; больше нуля — аудитор оценивает мягче коллег.",
        "Бағалаудың жұмсақтығы — аудитордың сапар бағасы мен сол топтағы басқа аудиторлар бағаларының"
        " орташа айырмасы, балмен; нөлден үлкен болса, аудитор әріптестеріне қарағанда жұмсақ бағалайды.",
        "Leniency is the mean difference, in points, between the auditor's visit score and the other"
        " auditors' scores in the same group; above zero, the auditor scores more kindly than colleagues.",
    ),
    "calibration.pairs.heading": ("Пары аудиторов", "Аудиторлар жұптары", "Pairs of auditors"),
    "calibration.groups.heading": (
        "Группы: ответы по пунктам",
        "Топтар: тармақтар бойынша жауаптар",
        "Groups: answers item by item",
    ),
    "calibration.group.caption": (
        "{unit}, {date}: оценки {n} аудиторов",
        "{unit}, {date}: {n} аудитордың бағалары",
        "{unit}, {date}: scored by {n} auditors",
    ),
    "calibration.group.open": ("Открыть визит", "Сапарды ашу", "Open the visit"),
    "calibration.group.original": ("первая оценка", "алғашқы баға", "first scoring"),
    "calibration.group.differs": ("расходятся", "сәйкес емес", "differ"),
    "calibration.group.differ_count": (
        "расхождений: {n} из {total}",
        "сәйкессіздік: {total} тармақтың {n}",
        "{n} of {total} items differ",
    ),
    "calibration.group.only_differ": (
        "Показаны только пункты с расхождениями; нажмите на группу, чтобы раскрыть её.",
        "Тек сәйкес келмеген тармақтар көрсетілген; топты ашу үшін оны басыңыз.",
        "Only the items where answers differ are shown; select a group to open it.",
    ),
    "calibration.group.all_agree": (
        "Все ответы совпали.",
        "Барлық жауаптар сәйкес келді.",
        "Every answer matched.",
    ),
    "calibration.score": ("оценка визита", "сапар бағасы", "visit score"),
}
