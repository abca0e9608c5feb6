"""Console texts: integrity (key -> (ru, kk, en); terms as in checklists/library/README.md).

The signals that question a visit (the queue's filter, the visit page's panel) and the quality
lead's pages per auditor. Integrity is «достоверность» / «сенімділік», a flag a «сигнал» /
«белгі» (as the queue's reason `review.reason.integrity` says), a geofence «геозона» /
«геоаймақ». Numbers come in already formatted for the language (`{n}` of the unit keys).
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {
    "console.nav.integrity": ("Достоверность", "Сенімділік", "Integrity"),
    # the codes, as the queue's filter, its reasons and every page name them
    "integrity.code.gps_far": ("GPS далеко от подразделения", "GPS бөлімшеден алыс", "GPS far from the unit"),
    "integrity.code.gps_missing": ("нет GPS-отметки", "GPS белгісі жоқ", "no GPS fix"),
    "integrity.code.too_short": ("слишком короткий визит", "тым қысқа сапар", "visit too short"),
    "integrity.code.clock_skew": ("часы планшета сбиты", "планшет сағаты қате", "tablet clock off"),
    "integrity.code.impossible_travel": ("невозможный переезд", "мүмкін емес жол жүру", "impossible travel"),
    "integrity.code.photo_reused": ("повтор фото", "қайталанған фото", "photo reused"),
    "integrity.code.photo_similar": ("похожее фото", "ұқсас фото", "similar photo"),
    "integrity.code.exif_time_mismatch": (
        "время съёмки вне визита",
        "түсірілген уақыты сапардан тыс",
        "photo taken outside the visit",
    ),
    "integrity.code.comment_copied": ("скопированный комментарий", "көшірілген түсініктеме", "copied comment"),
    "integrity.code.perfect_streak": ("серия идеальных оценок", "мінсіз бағалар сериясы", "perfect streak"),
    # the queue's filter
    "integrity.filter.flag": ("Сигналы достоверности", "Сенімділік белгілері", "Integrity flags"),
    "integrity.filter.any_flag": ("любой сигнал", "кез келген белгі", "any flag"),
    # units of measure ({n} is formatted for the language)
    "integrity.unit.m": ("{n}\u00a0м", "{n}\u00a0м", "{n}\u00a0m"),
    "integrity.unit.km": ("{n}\u00a0км", "{n}\u00a0км", "{n}\u00a0km"),
    "integrity.unit.s": ("{n}\u00a0с", "{n}\u00a0с", "{n}\u00a0s"),
    "integrity.unit.min": ("{n}\u00a0мин", "{n}\u00a0мин", "{n}\u00a0min"),
    "integrity.unit.h": ("{n}\u00a0ч", "{n}\u00a0сағ", "{n}\u00a0h"),
    "integrity.unit.days": ("{n}\u00a0дн.", "{n}\u00a0күн", "{n}\u00a0days"),
    "integrity.unit.kmh": ("{n}\u00a0км/ч", "{n}\u00a0км/сағ", "{n}\u00a0km/h"),
    # the visit page's panel
    "integrity.panel.title": ("Сигналы достоверности", "Сенімділік белгілері", "Integrity signals"),
    "integrity.panel.intro": (
        "Сигнал не меняет оценку: он лишь просит проверить визит. Ниже — на чём основан каждый сигнал.",
        "Белгі бағаны өзгертпейді: ол тек сапарды тексеруді сұрайды. Төменде әр белгінің негізі көрсетілген.",
        "A signal changes no score: it only asks for the visit to be checked. Below, what each signal rests on.",
    ),
    "integrity.other_visit": ("Другой визит", "Басқа сапар", "The other visit"),
    "integrity.other_visit.gone": (
        "визит {id} (недоступен)",
        "{id} сапары (қолжетімсіз)",
        "visit {id} (not available)",
    ),
    "integrity.visit_line": (
        "{unit}, {when}, аудитор {auditor}",
        "{unit}, {when}, аудитор {auditor}",
        "{unit}, {when}, auditor {auditor}",
    ),
    "integrity.no_unit": ("подразделение не указано", "бөлімше көрсетілмеген", "no unit"),
    # gps_far, gps_missing
    "integrity.gps_far.text": (
        "GPS-отметка визита дальше от подразделения, чем позволяет его геозона, даже с учётом точности отметки.",
        "Сапардың GPS белгісі, оның дәлдігін ескергенде де, бөлімшеден геоаймақ рұқсат ететіннен алыс.",
        "The visit's GPS fix is farther from the unit than its geofence allows, even counting the fix's accuracy.",
    ),
    "integrity.fact.distance": ("Расстояние до подразделения", "Бөлімшеге дейінгі қашықтық", "Distance to the unit"),
    "integrity.fact.accuracy": ("Точность GPS-отметки", "GPS белгісінің дәлдігі", "Accuracy of the fix"),
    "integrity.fact.geofence": ("Геозона подразделения", "Бөлімшенің геоаймағы", "The unit's geofence"),
    "integrity.fact.unknown": ("не указана", "көрсетілмеген", "not given"),
    "integrity.sketch.title": (
        "Схема: подразделение и GPS-отметка",
        "Сызба: бөлімше және GPS белгісі",
        "Sketch: the unit and the GPS fix",
    ),
    "integrity.sketch.desc": (
        "Подразделение в центре, сплошной круг — геозона радиусом {fence}; GPS-отметка в {distance} к {direction}"
        " от подразделения, пунктирный круг вокруг неё — точность ({accuracy}). Масштаб: {scale}.",
        "Бөлімше ортада, тұтас шеңбер — радиусы {fence} геоаймақ; GPS белгісі бөлімшеден {direction} қарай"
        " {distance} жерде, оның айналасындағы үзік шеңбер — дәлдігі ({accuracy}). Масштаб: {scale}.",
        "The unit at the centre, the solid circle its geofence of {fence}; the GPS fix {distance} to the"
        " {direction} of the unit, the dashed circle around it its accuracy ({accuracy}). Scale: {scale}.",
    ),
    "integrity.sketch.desc_no_accuracy": (
        "Подразделение в центре, сплошной круг — геозона радиусом {fence}; GPS-отметка в {distance} к {direction}"
        " от подразделения, её точность не указана. Масштаб: {scale}.",
        "Бөлімше ортада, тұтас шеңбер — радиусы {fence} геоаймақ; GPS белгісі бөлімшеден {direction} қарай"
        " {distance} жерде, оның дәлдігі көрсетілмеген. Масштаб: {scale}.",
        "The unit at the centre, the solid circle its geofence of {fence}; the GPS fix {distance} to the"
        " {direction} of the unit, its accuracy not given. Scale: {scale}.",
    ),
    "integrity.sketch.unit": ("подразделение", "бөлімше", "unit"),
    "integrity.sketch.fix": ("GPS-отметка", "GPS белгісі", "GPS fix"),
    "integrity.sketch.north": ("↑ север", "↑ солтүстік", "↑ north"),
    "integrity.dir.n": ("северу", "солтүстікке", "north"),
    "integrity.dir.ne": ("северо-востоку", "солтүстік-шығысқа", "north-east"),
    "integrity.dir.e": ("востоку", "шығысқа", "east"),
    "integrity.dir.se": ("юго-востоку", "оңтүстік-шығысқа", "south-east"),
    "integrity.dir.s": ("югу", "оңтүстікке", "south"),
    "integrity.dir.sw": ("юго-западу", "оңтүстік-батысқа", "south-west"),
    "integrity.dir.w": ("западу", "батысқа", "west"),
    "integrity.dir.nw": ("северо-западу", "солтүстік-батысқа", "north-west"),
    "integrity.gps_missing.text": (
        "У визита нет GPS-отметки, а место подразделения известно ({lat}, {lon}).",
        "Сапарда GPS белгісі жоқ, ал бөлімшенің орны белгілі ({lat}, {lon}).",
        "The visit carries no GPS fix, and its unit's place is known ({lat}, {lon}).",
    ),
    # too_short, clock_skew
    "integrity.too_short.text": (
        "Визит длился {took}, а чек-лист требует не меньше {min}.",
        "Сапар {took} созылды, ал тексеру парағы кемінде {min} талап етеді.",
        "The visit took {took}; the checklist asks for at least {min}.",
    ),
    "integrity.too_short.negative": (
        "Визит закончился на {took} раньше, чем начался; чек-лист требует не меньше {min}.",
        "Сапар басталуынан {took} бұрын аяқталған; тексеру парағы кемінде {min} талап етеді.",
        "The visit finished {took} before it started; the checklist asks for at least {min}.",
    ),
    "integrity.clock_skew.behind": (
        "Часы планшета отставали от часов сервера на {offset} (допустимо до {max}).",
        "Планшет сағаты сервер сағатынан {offset} артта қалды (рұқсат етілгені — {max} дейін).",
        "The tablet's clock was {offset} behind the server's (up to {max} is allowed).",
    ),
    "integrity.clock_skew.ahead": (
        "Часы планшета спешили относительно часов сервера на {offset} (допустимо до {max}).",
        "Планшет сағаты сервер сағатынан {offset} алда болды (рұқсат етілгені — {max} дейін).",
        "The tablet's clock was {offset} ahead of the server's (up to {max} is allowed).",
    ),
    # impossible_travel
    "integrity.travel.text": (
        "Чтобы успеть между этим визитом и другим визитом аудитора, нужна скорость выше допустимой.",
        "Осы сапар мен аудитордың басқа сапарының арасында үлгеру үшін рұқсат етілгеннен жоғары жылдамдық қажет.",
        "Getting between this visit and another of the auditor's visits needs more than the allowed speed.",
    ),
    "integrity.travel.overlap": (
        "визиты пересекаются по времени",
        "сапарлар уақыт бойынша қабаттасады",
        "the visits overlap in time",
    ),
    "integrity.travel.before": ("Предыдущий визит аудитора", "Аудитордың алдыңғы сапары", "The auditor's visit before"),
    "integrity.travel.after": ("Следующий визит аудитора", "Аудитордың келесі сапары", "The auditor's visit after"),
    "integrity.fact.travel_distance": ("Расстояние между визитами", "Сапарлар арасындағы қашықтық", "Distance apart"),
    "integrity.fact.gap": ("Время между визитами", "Сапарлар арасындағы уақыт", "Time between the visits"),
    "integrity.fact.speed": ("Нужная скорость", "Қажетті жылдамдық", "Speed needed"),
    "integrity.fact.max_speed": ("Допустимая скорость", "Рұқсат етілген жылдамдық", "Allowed speed"),
    # photo_reused, photo_similar
    "integrity.photo_reused.text": (
        "Те же файлы фото, что и в другом визите (фото: {n}).",
        "Басқа сапардағымен бірдей фото файлдары (фото саны: {n}).",
        "The same photo files as in another visit (photos: {n}).",
    ),
    "integrity.photo_similar.text": (
        "Фото почти такие же, как в другом визите: их перцептивные хеши отличаются не больше чем на {max} бит.",
        "Фотолар басқа сапардағыға өте ұқсас: олардың перцептивтік хештері {max} биттен аспай ерекшеленеді.",
        "Photos nearly the same as in another visit: their perceptual hashes are at most {max} bits apart.",
    ),
    "integrity.photo.this": ("В этом визите", "Осы сапарда", "In this visit"),
    "integrity.photo.other": ("В другом визите", "Басқа сапарда", "In the other visit"),
    "integrity.photo.item": ("пункт {item}", "{item} тармағы", "item {item}"),
    "integrity.photo.alt_this": (
        "Фото этого визита, пункт {item}",
        "Осы сапардың фотосы, {item} тармағы",
        "Photo of this visit, item {item}",
    ),
    "integrity.photo.alt_other": (
        "Фото другого визита, пункт {item}",
        "Басқа сапардың фотосы, {item} тармағы",
        "Photo of the other visit, item {item}",
    ),
    "integrity.photo.same_file": ("тот же файл", "сол файл", "the same file"),
    "integrity.photo.distance": (
        "Расстояние Хэмминга: {n} бит из 64",
        "Хэмминг қашықтығы: {n} бит (барлығы 64 бит)",
        "Hamming distance: {n} of 64 bits",
    ),
    # exif_time_mismatch
    "integrity.exif.text": (
        "Время съёмки, записанное в файле фото, далеко от времени визита (допуск {tolerance}).",
        "Фото файлында жазылған түсірілген уақыт сапар уақытынан алыс (рұқсат шегі {tolerance}).",
        "The capture time written in the photo file is far from the visit's time (tolerance {tolerance}).",
    ),
    "integrity.exif.span": ("Визит: {start} — {end}", "Сапар: {start} — {end}", "The visit: {start} to {end}"),
    "integrity.exif.caption": (
        "Фото и время их съёмки",
        "Фотолар және олардың түсірілген уақыты",
        "Photos and when they were taken",
    ),
    "integrity.exif.before": (
        "за {off} до начала визита",
        "сапар басталуынан {off} бұрын",
        "{off} before the visit began",
    ),
    "integrity.exif.after": (
        "через {off} после окончания визита",
        "сапар аяқталғаннан {off} кейін",
        "{off} after the visit ended",
    ),
    "integrity.col.photo": ("Фото", "Фото", "Photo"),
    "integrity.col.taken": ("Снято", "Түсірілген уақыты", "Taken"),
    "integrity.col.off": ("Отклонение", "Ауытқу", "Off by"),
    # comment_copied
    "integrity.comment.text": (
        "Комментарии почти дословно совпадают с комментариями другого визита.",
        "Түсініктемелер басқа сапардың түсініктемелерімен сөзбе-сөз дерлік сәйкес келеді.",
        "Comments nearly word for word the same as another visit's.",
    ),
    "integrity.comment.caption": (
        "Комментарии этого и другого визита",
        "Осы және басқа сапардың түсініктемелері",
        "This visit's and the other visit's comments",
    ),
    "integrity.col.item": ("Пункт", "Тармақ", "Item"),
    "integrity.col.this_comment": ("Комментарий в этом визите", "Осы сапардағы түсініктеме", "This visit's comment"),
    "integrity.col.other_comment": (
        "Комментарий в другом визите",
        "Басқа сапардағы түсініктеме",
        "The other visit's comment",
    ),
    "integrity.col.similarity": ("Сходство", "Ұқсастық", "Similarity"),
    # perfect_streak
    "integrity.streak.text": (
        "Идеальных оценок у аудитора подряд: {streak} (сигнал — от {threshold}).",
        "Аудитордың қатарынан мінсіз бағалары: {streak} (белгі {threshold} бастап қойылады).",
        "The auditor's perfect scores in a row: {streak} (a signal from {threshold}).",
    ),
    "integrity.streak.link": (
        "Сигналы аудитора {name} за месяц",
        "{name} аудиторының ай бойғы белгілері",
        "Auditor {name}'s signals of the month",
    ),
    # /integrity: per auditor
    "integrity.title": ("Достоверность проверок", "Тексерулердің сенімділігі", "Audit integrity"),
    "integrity.intro": (
        "По каждому аудитору за месяц: сколько его визитов вызвали сигналы, как часто апелляции отменяли его"
        " ответы и насколько его ответы совпадают с ответами коллег при калибровке.",
        "Әр аудитор бойынша ай ішінде: оның қанша сапары белгі тудырды, апелляциялар оның жауаптарын"
        " қаншалықты жиі өзгертті және калибрлеуде оның жауаптары әріптестерінікімен қаншалықты сәйкес келеді.",
        "Per auditor over the month: how many of their visits raised signals, how often appeals overturned"
        " their answers, and how often their answers match their colleagues' in calibration.",
    ),
    "integrity.threshold": (
        "Порог согласованности по политике: {share}. Аудитор ниже порога отмечен «{below}».",
        "Саясат бойынша келісімділік шегі: {share}. Шектен төмен аудитор «{below}» деп белгіленген.",
        "The policy's agreement threshold: {share}. An auditor under it is marked “{below}”.",
    ),
    "integrity.below": ("ниже порога", "шектен төмен", "below threshold"),
    "integrity.month_form": ("Выбор месяца", "Айды таңдау", "Choose the month"),
    "integrity.filter.period": ("Месяц", "Ай", "Month"),
    "integrity.filter.show": ("Показать", "Көрсету", "Show"),
    "integrity.auditors.caption": ("{period}: аудиторы", "{period}: аудиторлар", "Auditors, {period}"),
    "integrity.empty": (
        "За этот месяц нет ни визитов, ни апелляций, ни калибровок.",
        "Бұл айда сапарлар да, апелляциялар да, калибрлеулер де жоқ.",
        "No visits, appeals or calibrations this month.",
    ),
    "integrity.col.auditor": ("Аудитор", "Аудитор", "Auditor"),
    "integrity.col.visits": ("Визитов", "Сапарлар", "Visits"),
    "integrity.col.flagged": ("С сигналами", "Белгілері бар", "Flagged"),
    "integrity.col.flags": ("Сигналы по видам", "Белгілер түрлері бойынша", "Signals by kind"),
    "integrity.col.overturned": ("Отменено по апелляциям", "Апелляция бойынша өзгертілді", "Overturned on appeal"),
    "integrity.col.agreement": (
        "Согласованность при калибровке",
        "Калибрлеудегі келісімділік",
        "Calibration agreement",
    ),
    "integrity.col.month": ("Месяц", "Ай", "Month"),
    "integrity.col.flagged_share": ("Визиты с сигналами", "Белгілері бар сапарлар", "Visits flagged"),
    "integrity.share_of": ("{share} ({n} из {of})", "{share} ({of} ішінен {n})", "{share} ({n} of {of})"),
    "integrity.no_data": ("нет данных", "дерек жоқ", "no data"),
    "integrity.none": ("нет", "жоқ", "none"),
    # /integrity/auditors/{name}
    "integrity.auditor.title": (
        "Аудитор {name}: достоверность",
        "Аудитор {name}: сенімділік",
        "Auditor {name}: integrity",
    ),
    "integrity.auditor.back": ("← Все аудиторы", "← Барлық аудиторлар", "← All auditors"),
    "integrity.auditor.flagged.heading": (
        "{period}: визиты с сигналами",
        "{period}: белгілері бар сапарлар",
        "Flagged visits, {period}",
    ),
    "integrity.auditor.flagged.empty": (
        "За этот месяц визитов с сигналами нет.",
        "Бұл айда белгілері бар сапарлар жоқ.",
        "No flagged visits this month.",
    ),
    "integrity.auditor.flagged.more": (
        "Показаны первые {n} визитов.",
        "Алғашқы {n} сапар көрсетілген.",
        "The first {n} visits are shown.",
    ),
    "integrity.col.date": ("Дата", "Күні", "Date"),
    "integrity.col.unit": ("Подразделение", "Бөлімше", "Unit"),
    "integrity.col.status": ("Статус", "Күйі", "Status"),
    "integrity.col.signals": ("Сигналы", "Белгілер", "Signals"),
    "integrity.auditor.months.heading": ("Последние шесть месяцев", "Соңғы алты ай", "The last six months"),
    "integrity.auditor.months.caption": (
        "Показатели аудитора {name}: {first} — {last}",
        "{name} аудиторының көрсеткіштері: {first} — {last}",
        "Auditor {name}'s figures, {first} to {last}",
    ),
    "integrity.chart.title": (
        "Доля визитов с сигналами, отмен по апелляциям и согласованность по месяцам",
        "Айлар бойынша белгілері бар сапарлардың, апелляция бойынша өзгертулердің үлесі және келісімділік",
        "Share of visits flagged, of answers overturned and the agreement, by month",
    ),
    "integrity.chart.desc": (
        "Те же числа, что в таблице ниже.",
        "Төмендегі кестедегі сандар.",
        "The same figures as in the table below.",
    ),
}
