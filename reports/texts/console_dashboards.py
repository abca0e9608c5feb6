"""The console's texts for its dashboards pages (key -> (ru, kk, en))."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {
    # The basis every figure states.
    "console.dashboards.basis.approved": ("одобренные", "мақұлданған", "approved"),
    "console.dashboards.basis.provisional": ("предварительные", "алдын ала", "provisional"),
    "console.dashboards.basis.approved.hint": (
        "Только визиты, одобренные проверяющим: по ним считается мотивация",
        "Тек тексеруші мақұлдаған сапарлар: уәждеме солар бойынша есептеледі",
        "Only visits a reviewer approved: what HR pays on",
    ),
    "console.dashboards.basis.provisional.hint": (
        "Все отправленные визиты, кроме отклонённых: для наблюдения, не для выплат",
        "Қабылданбағандарынан басқа барлық жіберілген сапарлар: бақылау үшін, төлем үшін емес",
        "Every submitted visit not rejected: to follow, not to pay on",
    ),
    # Filters.
    "console.dashboards.filter.period": ("Период", "Кезең", "Period"),
    "console.dashboards.filter.kind": ("Тип подразделения", "Бөлімше түрі", "Unit kind"),
    "console.dashboards.filter.basis": ("Основа цифр", "Сандар негізі", "Figures"),
    "console.dashboards.filter.region": ("Регион", "Өңір", "Region"),
    "console.dashboards.filter.all_regions": ("все регионы", "барлық өңірлер", "all regions"),
    "console.dashboards.show": ("Показать", "Көрсету", "Show"),
    # The network page.
    "console.dashboards.network.title": ("Сеть", "Желі", "Network"),
    "console.dashboards.network.headline": (
        "Средняя оценка визитов по сети",
        "Желі бойынша сапарлардың орташа бағасы",
        "Mean visit score across the network",
    ),
    "console.dashboards.heatmap.link": (
        "Тепловая карта: подразделения × стандарты",
        "Жылу картасы: бөлімшелер × стандарттар",
        "Heat map: units × standards",
    ),
    "console.dashboards.ranking": ("Рейтинг подразделений", "Бөлімшелер рейтингі", "Ranking of the units"),
    "console.dashboards.ranking.caption": (
        "Подразделения по средней оценке визитов, {period}",
        "Бөлімшелер сапарлардың орташа бағасы бойынша, {period}",
        "Units by mean visit score, {period}",
    ),
    "console.dashboards.regions": ("По регионам", "Өңірлер бойынша", "By region"),
    "console.dashboards.regions.caption": (
        "Регионы: оценка по всем визитам региона, {period}",
        "Өңірлер: өңірдің барлық сапарлары бойынша баға, {period}",
        "Regions: the score over all the region's visits, {period}",
    ),
    "console.dashboards.no_units": (
        "Нет подразделений этого типа.",
        "Бұл түрдегі бөлімшелер жоқ.",
        "No units of this kind.",
    ),
    "console.dashboards.no_figures": (
        "За этот период нет оценок.",
        "Бұл кезеңде баға жоқ.",
        "There are no scores for this period.",
    ),
    "console.dashboards.no_score": ("нет оценки", "баға жоқ", "no score"),
    "console.dashboards.no_visits": ("нет визитов", "сапар жоқ", "no visits"),
    # Columns.
    "console.dashboards.col.rank": ("Место", "Орын", "Rank"),
    "console.dashboards.col.unit": ("Подразделение", "Бөлімше", "Unit"),
    "console.dashboards.col.unit_id": ("Код подразделения", "Бөлімше коды", "Unit id"),
    "console.dashboards.col.units": ("Подразделений", "Бөлімшелер", "Units"),
    "console.dashboards.col.region": ("Регион", "Өңір", "Region"),
    "console.dashboards.col.score": ("Оценка", "Баға", "Score"),
    "console.dashboards.col.visit_score": ("Оценка визитов", "Сапарлар бағасы", "Visit score"),
    "console.dashboards.col.change": ("Изменение", "Өзгеріс", "Change"),
    "console.dashboards.col.standard": ("Стандарт", "Стандарт", "Standard"),
    "console.dashboards.col.mean": ("Средняя оценка", "Орташа баға", "Mean score"),
    "console.dashboards.col.share_met": ("Доля выполнения", "Орындалу үлесі", "Share met"),
    "console.dashboards.col.period": ("Период", "Кезең", "Period"),
    "console.dashboards.col.date": ("Дата", "Күні", "Date"),
    "console.dashboards.col.item": ("Пункт", "Тармақ", "Item"),
    "console.dashboards.col.comment": ("Комментарий", "Түсініктеме", "Comment"),
    "console.dashboards.col.person": ("Сотрудник", "Қызметкер", "Staff member"),
    "console.dashboards.col.position": ("Должность", "Лауазымы", "Position"),
    "console.dashboards.col.person_score": ("Личная оценка", "Жеке баға", "Person score"),
    "console.dashboards.col.coefficient": ("Коэффициент", "Коэффициент", "Coefficient"),
    "console.dashboards.col.flags": ("Отметки", "Белгілер", "Flags"),
    "console.dashboards.col.lang": ("Язык", "Тілі", "Language"),
    "console.dashboards.col.published": ("Опубликована", "Жарияланды", "Published"),
    "console.dashboards.col.failed_visits": ("Визитов с нарушением", "Бұзылған сапарлар", "Visits failing it"),
    # The heat map.
    "console.dashboards.heatmap.title": ("Тепловая карта", "Жылу картасы", "Heat map"),
    "console.dashboards.heatmap.caption": (
        "Средняя оценка каждого стандарта в подразделении, {period}: подразделения {first}–{last} из {total}",
        "Әр стандарттың бөлімшедегі орташа бағасы, {period}: {total} бөлімшенің {first}–{last}",
        "Each standard's mean score in each unit, {period}: units {first}–{last} of {total}",
    ),
    "console.dashboards.heatmap.legend": (
        "Цвет ячейки — зона оценки, число — оценка, n — число визитов:",
        "Ұяшық түсі — баға аймағы, сан — баға, n — сапарлар саны:",
        "A cell's colour is the score's zone, its number the score, n the number of visits:",
    ),
    "console.dashboards.share_met_short": ("выполнено", "орындалды", "met"),
    # The unit page.
    "console.dashboards.sections": ("Разделы страницы", "Бет бөлімдері", "Sections of the page"),
    "console.dashboards.previous": ("прошлый период", "өткен кезең", "previous period"),
    "console.dashboards.unit.trend": (
        "Оценка визитов за 12 периодов",
        "12 кезеңдегі сапарлар бағасы",
        "Visit score over 12 periods",
    ),
    "console.dashboards.trend.caption": (
        "Средняя оценка визитов по периодам",
        "Кезеңдер бойынша сапарлардың орташа бағасы",
        "Mean visit score by period",
    ),
    "console.dashboards.trend.person_caption": (
        "Средняя личная оценка по периодам",
        "Кезеңдер бойынша орташа жеке баға",
        "Mean person score by period",
    ),
    "console.dashboards.trend.standard_caption": (
        "Средняя оценка стандарта по сети по периодам",
        "Кезеңдер бойынша стандарттың желі бойынша орташа бағасы",
        "The standard's mean score across the network by period",
    ),
    "console.dashboards.numbers": ("Цифры графика", "График сандары", "The chart's numbers"),
    "console.dashboards.standards": ("Стандарты", "Стандарттар", "Standards"),
    "console.dashboards.standards.caption": (
        "Стандарты подразделения, {period}",
        "Бөлімше стандарттары, {period}",
        "The unit's standards, {period}",
    ),
    "console.dashboards.failed": ("Невыполненные пункты", "Орындалмаған тармақтар", "Failed items"),
    "console.dashboards.failed.caption": (
        "Невыполненные пункты визитов с комментариями, {period}",
        "Сапарлардың орындалмаған тармақтары түсініктемелерімен, {period}",
        "Failed items of the visits with their comments, {period}",
    ),
    "console.dashboards.failed.none": (
        "В этом периоде нет невыполненных пунктов.",
        "Бұл кезеңде орындалмаған тармақ жоқ.",
        "No failed items in this period.",
    ),
    "console.dashboards.critical": ("критический", "маңызды", "critical"),
    "console.dashboards.staff": ("Сотрудники", "Қызметкерлер", "Staff"),
    "console.dashboards.staff.caption_open": (
        "Личные оценки и коэффициенты, {period} (период открыт: предварительно)",
        "Жеке бағалар мен коэффициенттер, {period} (кезең ашық: алдын ала)",
        "Person scores and coefficients, {period} (the period is open: provisional)",
    ),
    "console.dashboards.staff.caption_closed": (
        "Личные оценки и коэффициенты, {period} (период закрыт: зафиксировано)",
        "Жеке бағалар мен коэффициенттер, {period} (кезең жабық: бекітілген)",
        "Person scores and coefficients, {period} (the period is closed: frozen)",
    ),
    "console.dashboards.staff.none": (
        "В подразделении нет сотрудников с оценками.",
        "Бөлімшеде бағасы бар қызметкер жоқ.",
        "No staff with scores in this unit.",
    ),
    "console.dashboards.scorecards": ("Опубликованные карточки", "Жарияланған карталар", "Published scorecards"),
    "console.dashboards.scorecards.caption": (
        "Карточки подразделения для скачивания",
        "Жүктеп алуға арналған бөлімше карталары",
        "The unit's scorecards to download",
    ),
    "console.dashboards.scorecards.none": (
        "Карточки ещё не опубликованы.",
        "Карталар әлі жарияланған жоқ.",
        "No scorecard has been published yet.",
    ),
    # The staff page.
    "console.dashboards.staff.trend": (
        "Личная оценка за 12 периодов",
        "12 кезеңдегі жеке баға",
        "Person score over 12 periods",
    ),
    "console.dashboards.staff.standards": (
        "Личные стандарты",
        "Жеке стандарттар",
        "Person-attributed standards",
    ),
    "console.dashboards.staff.standards_caption": (
        "Стандарты, за которые отвечает сотрудник, {period}",
        "Қызметкер жауап беретін стандарттар, {period}",
        "The standards the staff member answers for, {period}",
    ),
    # The standard page.
    "console.dashboards.attribution": ("Отвечает", "Жауапты", "Answered for by"),
    "console.dashboards.attribution.person": ("сотрудник", "қызметкер", "the staff member"),
    "console.dashboards.attribution.unit": ("подразделение", "бөлімше", "the unit"),
    "console.dashboards.standard.trend": (
        "Оценка стандарта по сети за 12 периодов",
        "12 кезеңдегі стандарттың желі бойынша бағасы",
        "The standard across the network over 12 periods",
    ),
    "console.dashboards.standard.worst": (
        "Где стандарт нарушают чаще всего",
        "Стандарт ең жиі бұзылатын жерлер",
        "Units that fail it most",
    ),
    "console.dashboards.standard.worst_caption": (
        "Подразделения по доле выполнения, {period}: {shown} из {total}",
        "Бөлімшелер орындалу үлесі бойынша, {period}: {total} ішінен {shown}",
        "Units by share met, {period}: {shown} of {total}",
    ),
}
