"""The console's texts for its directory, CSV import, checklist and policy pages (key -> (ru, kk, en))."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {
    # The sections of the administration these pages share.
    # The lists.
    "console.directory.units.title": ("Подразделения", "Бөлімшелер", "Units"),
    "console.directory.staff.title": ("Сотрудники", "Қызметкерлер", "Staff"),
    "console.directory.assignments.title": ("Назначения аудиторов", "Аудиторлар тапсырмалары", "Auditor assignments"),
    "console.directory.units.caption": (
        "Подразделения по коду",
        "Бөлімшелер кодымен реттелген",
        "Units by id",
    ),
    "console.directory.staff.caption": (
        "Сотрудники по табельному номеру",
        "Қызметкерлер табель нөмірімен реттелген",
        "Staff by id",
    ),
    "console.directory.assignments.caption": (
        "Назначения по коду",
        "Тапсырмалар кодымен реттелген",
        "Assignments by id",
    ),
    "console.directory.filters": ("Поиск и фильтры", "Іздеу және сүзгілер", "Search and filters"),
    "console.directory.search.units": (
        "Код или название содержит",
        "Коды немесе атауы қамтиды",
        "Id or name contains",
    ),
    "console.directory.search.staff": (
        "Табельный номер или ФИО содержит",
        "Табель нөмірі немесе аты-жөні қамтиды",
        "Id or name contains",
    ),
    "console.directory.search.assignments": (
        "Код, аудитор или подразделение содержит",
        "Коды, аудиторы немесе бөлімшесі қамтиды",
        "Id, auditor or unit contains",
    ),
    "console.directory.any": ("любой", "кез келген", "any"),
    "console.directory.filter.unit": ("Код подразделения", "Бөлімше коды", "Unit id"),
    "console.directory.filter.period": ("Месяц срока", "Мерзім айы", "Due in month"),
    "console.directory.apply": ("Показать", "Көрсету", "Show"),
    "console.directory.reset": ("Сбросить", "Тазарту", "Reset"),
    "console.directory.empty": ("Ничего не найдено.", "Ештеңе табылмады.", "Nothing found."),
    "console.directory.imported": (
        "Импортировано строк: {n}.",
        "Импортталған жолдар: {n}.",
        "Rows imported: {n}.",
    ),
    "console.directory.import.link": (
        "Импортировать из CSV-файла",
        "CSV файлынан импорттау",
        "Import from a CSV file",
    ),
    "console.directory.col.unit_id": ("Код", "Коды", "Id"),
    "console.directory.col.name": ("Название", "Атауы", "Name"),
    "console.directory.col.kind": ("Тип", "Түрі", "Kind"),
    "console.directory.col.region": ("Регион", "Өңір", "Region"),
    "console.directory.col.active": ("Действует", "Белсенді", "Active"),
    "console.directory.col.updated": ("Изменено", "Өзгертілді", "Updated"),
    "console.directory.col.staff_id": ("Табельный №", "Табель №", "Staff id"),
    "console.directory.col.person": ("ФИО", "Аты-жөні", "Name"),
    "console.directory.col.unit": ("Подразделение", "Бөлімше", "Unit"),
    "console.directory.col.position": ("Должность", "Лауазымы", "Position"),
    "console.directory.col.assignment_id": ("Код назначения", "Тапсырма коды", "Assignment id"),
    "console.directory.col.auditor": ("Аудитор", "Аудитор", "Auditor"),
    "console.directory.col.checklist": ("Чек-лист", "Чек-парақ", "Checklist"),
    "console.directory.col.due": ("Срок", "Мерзімі", "Due"),
    "console.directory.yes": ("да", "иә", "yes"),
    "console.directory.no": ("нет", "жоқ", "no"),
    "console.directory.cancel": ("Отмена", "Болдырмау", "Cancel"),
    # Where a unit is, and calibration: the lists' columns and a unit's own page.
    "console.directory.col.location": ("Координаты", "Координаттар", "Location"),
    "console.directory.col.geofence": ("Геозона", "Геоаймақ", "Geofence"),
    "console.directory.col.calibration_of": ("Калибровка назначения", "Тапсырманы калибрлеу", "Calibrates"),
    "console.directory.unit.saved": ("Подразделение сохранено.", "Бөлімше сақталды.", "The unit is saved."),
    "console.directory.unit.not_saved": (
        "Не сохранено: проблем в форме — {n}. Они указаны у полей.",
        "Сақталмады: формадағы мәселелер — {n}. Олар өрістердің жанында көрсетілген.",
        "Not saved: {n} problem(s) in the form, shown by their fields.",
    ),
    "console.directory.unit.no_location": ("не заданы", "берілмеген", "none"),
    "console.directory.unit.metres": ("{n} м", "{n} м", "{n} m"),
    "console.directory.unit.policy_geofence": (
        "по политике мотивации",
        "мотивация саясаты бойынша",
        "the policy's",
    ),
    "console.directory.unit.place": ("Место подразделения", "Бөлімшенің орны", "Where the unit is"),
    "console.directory.unit.place_help": (
        "Широта и долгота в градусах (WGS 84), обе или ни одной. С ними сервер сравнивает GPS-отметку визита"
        " с местом подразделения; подразделение без места (контакт-центр) не получает GPS-флагов.",
        "Ендік пен бойлық градуспен (WGS 84), екеуі де немесе ешқайсысы. Олар арқылы сервер сапардың"
        " GPS белгісін бөлімшенің орнымен салыстырады; орны жоқ бөлімше (байланыс орталығы) GPS"
        " жалаушаларын алмайды.",
        "Latitude and longitude in degrees (WGS 84), both or neither. The server compares a visit's GPS fix"
        " with them; a unit without a place (a contact centre) raises no GPS flag.",
    ),
    "console.directory.unit.lat": ("Широта, °", "Ендік, °", "Latitude, °"),
    "console.directory.unit.lon": ("Долгота, °", "Бойлық, °", "Longitude, °"),
    "console.directory.unit.geofence": ("Геозона, м", "Геоаймақ, м", "Geofence, m"),
    "console.directory.unit.geofence_help": (
        "Насколько далеко от подразделения может быть GPS-отметка визита: от 10 до 100 000 м. Только вместе"
        " с координатами; пусто — значение из политики мотивации.",
        "Сапардың GPS белгісі бөлімшеден қаншалықты алыс болуы мүмкін: 10-нан 100 000 м-ге дейін. Тек"
        " координаттармен бірге; бос болса — мотивация саясатындағы мән.",
        "How far from the unit a visit's GPS fix may be: 10 to 100,000 m. Only with the coordinates; empty:"
        " the motivation policy's value.",
    ),
    "console.directory.unit.save": ("Сохранить", "Сақтау", "Save"),
    # The import: the form.
    "console.directory.import.title": ("Импорт из CSV", "CSV-дан импорттау", "Import from CSV"),
    "console.directory.import.intro": (
        "Загрузите файл: сервер проверит его и покажет, что будет импортировано. Файл импортируется"
        " целиком или не импортируется совсем.",
        "Файлды жүктеңіз: сервер оны тексеріп, не импортталатынын көрсетеді. Файл толығымен импортталады"
        " немесе мүлде импортталмайды.",
        "Upload a file: the server checks it and shows what would be imported. A file is imported whole or not at all.",
    ),
    "console.directory.import.entity": ("Что импортировать", "Не импорттау керек", "What to import"),
    "console.directory.entity.units": ("Подразделения", "Бөлімшелер", "Units"),
    "console.directory.entity.staff": ("Сотрудники", "Қызметкерлер", "Staff"),
    "console.directory.entity.assignments": ("Назначения", "Тапсырмалар", "Assignments"),
    "console.directory.import.file": ("CSV-файл", "CSV файлы", "CSV file"),
    "console.directory.import.file_help": (
        "UTF-8, поля через «,» или «;», в первой строке — названия столбцов; не больше {mb} МБ.",
        "UTF-8, өрістер «,» немесе «;» арқылы, бірінші жолда — баған атаулары; {mb} МБ-тан аспауы керек.",
        "UTF-8, fields separated by “,” or “;”, column names on the first line; at most {mb} MB.",
    ),
    "console.directory.import.nothing_yet": (
        "Сначала файл только проверяется: ничего не записывается, пока вы не подтвердите импорт.",
        "Алдымен файл тек тексеріледі: импортты растағанша ештеңе жазылмайды.",
        "The file is only checked first: nothing is written until you confirm the import.",
    ),
    "console.directory.import.submit": ("Проверить файл", "Файлды тексеру", "Check the file"),
    "console.directory.import.templates": ("Шаблоны файлов", "Файл үлгілері", "File templates"),
    "console.directory.import.templates_intro": (
        "Шаблон — строка заголовков и строка-пример; столбцы ниже — те, что принимает импорт.",
        "Үлгі — тақырып жолы мен мысал жолы; төмендегі бағандар — импорт қабылдайтындары.",
        "A template is the header row and an example row; the columns below are those the import takes.",
    ),
    "console.directory.import.template_link": ("скачать {file}", "{file} жүктеп алу", "download {file}"),
    "console.directory.col.column": ("Столбец", "Баған", "Column"),
    "console.directory.col.required": ("Обязателен", "Міндетті", "Required"),
    "console.directory.col.example": ("Пример", "Мысал", "Example"),
    "console.directory.col.takes": ("Что принимает", "Не қабылдайды", "What it takes"),
    "console.directory.takes.id": (
        "код: латинские буквы, цифры, «.», «_», «-» (до 64); строка с известным кодом заменяет запись",
        "код: латын әріптері, цифрлар, «.», «_», «-» (64-ке дейін); белгілі коды бар жол жазбаны ауыстырады",
        "the id: letters, digits, “.”, “_”, “-” (up to 64); a row with a known id replaces it",
    ),
    "console.directory.takes.one_of": ("одно из: {values}", "мыналардың бірі: {values}", "one of {values}"),
    "console.directory.takes.bool": ("true или false", "true немесе false", "true or false"),
    "console.directory.takes.date": ("дата ГГГГ-ММ-ДД", "ЖЖЖЖ-АА-КК күні", "a date, YYYY-MM-DD"),
    "console.directory.takes.unit": (
        "код существующего подразделения",
        "бар бөлімшенің коды",
        "an existing unit's id",
    ),
    "console.directory.takes.checklist": (
        "код существующего чек-листа",
        "бар чек-парақтың коды",
        "an existing checklist's id",
    ),
    "console.directory.takes.auditor": (
        "имя пользователя аудитора",
        "аудитордың пайдаланушы аты",
        "an auditor's user name",
    ),
    "console.directory.takes.text": (
        "текст в одну строку (до {n} символов)",
        "бір жолдағы мәтін ({n} таңбаға дейін)",
        "text on one line (at most {n} characters)",
    ),
    "console.directory.takes.empty": ("пусто — {value}", "бос болса — {value}", "empty: {value}"),
    "console.directory.takes.nothing": ("нет значения", "мәні жоқ", "none"),
    "console.directory.takes.degrees": (
        "градусы от -{bound} до {bound}, вместе со второй координатой",
        "-{bound}-ден {bound}-ге дейінгі градус, екінші координатпен бірге",
        "degrees from -{bound} to {bound}, with the other coordinate",
    ),
    "console.directory.takes.metres": (
        "метры от {low} до {high}, только вместе с lat и lon",
        "{low}-ден {high}-ге дейінгі метр, тек lat және lon-мен бірге",
        "metres from {low} to {high}, only with lat and lon",
    ),
    "console.directory.takes.calibration": (
        "код назначения другого аудитора в то же подразделение с тем же чек-листом, которое нужно оценить повторно",
        "қайта бағалау керек тапсырманың коды: басқа аудитордың, сол бөлімшеге, сол чек-парақпен",
        "the id of another auditor's assignment of the same unit and checklist, to score again",
    ),
    "console.directory.takes.time": (
        "время ЧЧ:ММ, вместе с другим концом окна",
        "СС:ММ уақыты, терезенің екінші шетімен бірге",
        "a time of day, HH:MM, with the other end of the window",
    ),
    "console.directory.required": ("обязателен", "міндетті", "required"),
    "console.directory.optional": ("необязателен", "міндетті емес", "optional"),
    "console.directory.error.choose_entity": (
        "Выберите, что импортировать.",
        "Не импорттау керегін таңдаңыз.",
        "Choose what to import.",
    ),
    "console.directory.error.choose_file": ("Выберите файл.", "Файлды таңдаңыз.", "Choose a file."),
    "console.directory.error.empty_file": ("Файл пуст.", "Файл бос.", "The file is empty."),
    "console.directory.error.too_big": (
        "Файл больше {mb} МБ.",
        "Файл {mb} МБ-тан үлкен.",
        "The file is larger than {mb} MB.",
    ),
    # The import: the preview.
    "console.directory.preview.title": ("Проверка файла импорта", "Импорт файлын тексеру", "Import file check"),
    "console.directory.preview.file": ("Файл", "Файл", "File"),
    "console.directory.preview.entity": ("Что импортируется", "Не импортталады", "Importing"),
    "console.directory.preview.size": ("Размер", "Көлемі", "Size"),
    "console.directory.preview.bytes": ("{n} байт", "{n} байт", "{n} bytes"),
    "console.directory.preview.uploaded": ("Загружен", "Жүктелді", "Uploaded"),
    "console.directory.preview.problems_title": (
        "Проблем в файле: {n}",
        "Файлдағы мәселелер: {n}",
        "Problems in the file: {n}",
    ),
    "console.directory.preview.nothing_written": (
        "Ничего не импортировано. Исправьте файл и загрузите его снова.",
        "Ештеңе импортталған жоқ. Файлды түзетіп, қайта жүктеңіз.",
        "Nothing was imported. Fix the file and upload it again.",
    ),
    "console.directory.preview.problems_caption": (
        "Проблемы по строкам и столбцам",
        "Жолдар мен бағандар бойынша мәселелер",
        "Problems by line and column",
    ),
    "console.directory.preview.whole_file": ("файл", "файл", "file"),
    "console.directory.col.line": ("Строка", "Жол", "Line"),
    "console.directory.col.problem": ("Проблема", "Мәселе", "Problem"),
    "console.directory.col.detail": ("Сообщение сервера", "Сервер хабары", "Server's message"),
    "console.directory.preview.clean_title": ("Файл в порядке", "Файл дұрыс", "The file is fine"),
    "console.directory.preview.clean": (
        "Строк: {n}. Новых: {new}, изменятся: {changed}, без изменений: {same}.",
        "Жолдар: {n}. Жаңа: {new}, өзгереді: {changed}, өзгеріссіз: {same}.",
        "Rows: {n}. New: {new}, changed: {changed}, unchanged: {same}.",
    ),
    "console.directory.preview.first_rows": (
        "Первые строки ({n} из {total})",
        "Алғашқы жолдар ({total} ішінен {n})",
        "The first rows ({n} of {total})",
    ),
    "console.directory.preview.state": ("Что будет", "Не болады", "What happens"),
    "console.directory.state.new": ("новая", "жаңа", "new"),
    "console.directory.state.changed": ("изменится", "өзгереді", "changed"),
    "console.directory.state.same": ("без изменений", "өзгеріссіз", "unchanged"),
    "console.directory.preview.confirm_note": (
        "Импорт запишет все строки этого файла или ни одной.",
        "Импорт осы файлдың барлық жолын жазады немесе бірде-біреуін жазбайды.",
        "The import writes every row of this file or none.",
    ),
    "console.directory.preview.confirm": ("Импортировать строк: {n}", "Жолдарды импорттау: {n}", "Import {n} rows"),
    "console.directory.preview.other_file": (
        "Загрузить другой файл",
        "Басқа файл жүктеу",
        "Upload another file",
    ),
    "console.directory.preview.failed": (
        "Импорт не выполнен: справочник изменился после проверки. Ниже — проблемы на сейчас.",
        "Импорт орындалмады: тексеруден кейін анықтамалық өзгерді. Төменде — қазіргі мәселелер.",
        "Nothing was imported: the directory changed since the check. The problems as of now are below.",
    ),
    # The import: problems, by the code `server.console.directory.problem_code` finds.
    "console.directory.problem.not_utf8": (
        "файл не в кодировке UTF-8 (байт {byte})",
        "файл UTF-8 кодтауында емес ({byte}-байт)",
        "the file is not UTF-8 text (byte {byte})",
    ),
    "console.directory.problem.empty": ("файл пуст", "файл бос", "the file is empty"),
    "console.directory.problem.not_csv": (
        "строка не читается как CSV (кавычки?)",
        "жол CSV ретінде оқылмайды (тырнақшалар?)",
        "the line is not valid CSV (quotes?)",
    ),
    "console.directory.problem.unknown_column": (
        "неизвестный столбец «{column}»",
        "белгісіз баған «{column}»",
        "unknown column “{column}”",
    ),
    "console.directory.problem.missing_column": (
        "нет столбца «{column}»",
        "«{column}» бағаны жоқ",
        "column “{column}” is missing",
    ),
    "console.directory.problem.column_twice": (
        "столбец назван дважды",
        "баған екі рет аталған",
        "a column is named twice",
    ),
    "console.directory.problem.too_many_rows": (
        "больше {n} строк",
        "{n} жолдан көп",
        "more than {n} rows",
    ),
    "console.directory.problem.field_count": (
        "полей должно быть {expected}, а их {found}",
        "өрістер саны {expected} болуы керек, бірақ {found}",
        "{expected} fields expected, {found} found",
    ),
    "console.directory.problem.duplicate_key": (
        "тот же код уже в строке {other}",
        "дәл осы код {other}-жолда бар",
        "the same id is on line {other}",
    ),
    "console.directory.problem.required_empty": (
        "обязательное поле пусто",
        "міндетті өріс бос",
        "required, but empty",
    ),
    "console.directory.problem.no_unit": (
        "нет подразделения «{value}»",
        "«{value}» бөлімшесі жоқ",
        "no unit “{value}”",
    ),
    "console.directory.problem.no_auditor": (
        "нет аудитора «{value}»",
        "«{value}» аудиторы жоқ",
        "no auditor “{value}”",
    ),
    "console.directory.problem.no_checklist": (
        "нет опубликованного действующего чек-листа «{value}»",
        "«{value}» жарияланған әрекеттегі чек-парағы жоқ",
        "no published, unretired checklist “{value}”",
    ),
    "console.directory.problem.wrong_kind": (
        "чек-лист «{value}» не для подразделений этого типа",
        "«{value}» чек-парағы бұл түрдегі бөлімшелерге арналмаған",
        "checklist “{value}” is not for units of this kind",
    ),
    "console.directory.problem.dates_order": (
        "конец срока раньше начала",
        "мерзімнің соңы басынан ерте",
        "the end is before the start",
    ),
    "console.directory.problem.bad_choice": (
        "значение не из списка допустимых",
        "мән рұқсат етілген тізімде жоқ",
        "not one of the allowed values",
    ),
    "console.directory.problem.bad_bool": (
        "нужно true или false",
        "true немесе false болуы керек",
        "must be true or false",
    ),
    "console.directory.problem.bad_date": (
        "нужна дата ГГГГ-ММ-ДД",
        "ЖЖЖЖ-АА-КК күні керек",
        "must be a date, YYYY-MM-DD",
    ),
    "console.directory.problem.bad_id": (
        "код: только латинские буквы, цифры, «.», «_», «-» (до 64)",
        "код: тек латын әріптері, цифрлар, «.», «_», «-» (64-ке дейін)",
        "an id: Latin letters, digits, “.”, “_”, “-” (up to 64)",
    ),
    "console.directory.problem.too_long": (
        "длиннее {n} символов",
        "{n} таңбадан ұзын",
        "longer than {n} characters",
    ),
    "console.directory.problem.one_line": (
        "нужна одна строка текста",
        "бір жол мәтін болуы керек",
        "must be one line of text",
    ),
    "console.directory.problem.other": ("недопустимое значение", "жарамсыз мән", "invalid value"),
    "console.directory.problem.not_degrees": (
        "не число градусов (например, 43.2389): «{value}»",
        "градус саны емес (мысалы, 43.2389): «{value}»",
        "not a number of degrees (like 43.2389): “{value}”",
    ),
    "console.directory.problem.not_metres": (
        "не целое число метров (например, 150): «{value}»",
        "метрдің бүтін саны емес (мысалы, 150): «{value}»",
        "not a whole number of metres (like 150): “{value}”",
    ),
    "console.directory.problem.coordinate_pair": (
        "нужна и вторая координата: {given} указана без неё",
        "екінші координат та керек: {given} онсыз берілген",
        "the other coordinate is needed too: {given} is given without it",
    ),
    "console.directory.problem.geofence_alone": (
        "геозона без координат подразделения ничего не проверяет: укажите lat и lon или оставьте её пустой",
        "бөлімше координаттарынсыз геоаймақ ештеңені тексермейді: lat пен lon беріңіз немесе оны бос қалдырыңыз",
        "a geofence without the unit's location checks nothing: give lat and lon, or leave it empty",
    ),
    "console.directory.problem.at_most": ("не больше {bound}", "{bound}-ден аспауы керек", "at most {bound}"),
    "console.directory.problem.at_least": ("не меньше {bound}", "{bound}-ден кем болмауы керек", "at least {bound}"),
    "console.directory.problem.no_assignment": (
        "нет назначения «{value}»",
        "«{value}» тапсырмасы жоқ",
        "no assignment “{value}”",
    ),
    "console.directory.problem.calibration_self": (
        "назначение не может калибровать само себя",
        "тапсырма өзін-өзі калибрлей алмайды",
        "an assignment cannot calibrate itself",
    ),
    "console.directory.problem.calibration_chain": (
        "«{other}» само калибрует «{original}»: укажите исходное назначение",
        "«{other}» өзі «{original}» тапсырмасын калибрлейді: бастапқы тапсырманы көрсетіңіз",
        "“{other}” itself calibrates “{original}”: name the original assignment",
    ),
    "console.directory.problem.calibration_chain_in": (
        "«{other}» калибрует это назначение, поэтому оно само не может быть калибровкой",
        "«{other}» осы тапсырманы калибрлейді, сондықтан оның өзі калибрлеу бола алмайды",
        "“{other}” calibrates this assignment, so it cannot be a calibration itself",
    ),
    "console.directory.problem.calibration_checklist": (
        "у парного назначения «{other}» другой чек-лист: «{value}»",
        "жұп тапсырма «{other}» басқа чек-парақпен: «{value}»",
        "the paired assignment “{other}” has another checklist: “{value}”",
    ),
    "console.directory.problem.calibration_unit": (
        "парное назначение «{other}» — в другое подразделение: «{value}»",
        "жұп тапсырма «{other}» басқа бөлімшеге: «{value}»",
        "the paired assignment “{other}” is for another unit: “{value}”",
    ),
    "console.directory.problem.calibration_same_auditor": (
        "у «{other}» тот же аудитор: повторную оценку даёт другой аудитор",
        "«{other}» тапсырмасының аудиторы сол: қайта бағалауды басқа аудитор береді",
        "“{other}” has the same auditor: a second scoring is by another auditor",
    ),
    # Checklists.
    "console.directory.cl.title": ("Чек-листы", "Чек-парақтар", "Checklists"),
    "console.directory.cl.none": (
        "Ни один чек-лист не опубликован.",
        "Бірде-бір чек-парақ жарияланбаған.",
        "No checklist is published.",
    ),
    "console.directory.cl.versions_of": ("Версии {id}", "{id} нұсқалары", "Versions of {id}"),
    "console.directory.cl.col.version": ("Версия", "Нұсқа", "Version"),
    "console.directory.cl.col.title": ("Название", "Атауы", "Title"),
    "console.directory.cl.col.published": ("Опубликована", "Жарияланды", "Published"),
    "console.directory.cl.col.status": ("Состояние", "Күйі", "Status"),
    "console.directory.cl.col.items": ("Состав", "Құрамы", "Contents"),
    "console.directory.cl.col.id": ("Идентификатор", "Идентификатор", "Id"),
    # The least time on site a real visit takes (a shorter one raises the `too_short` flag).
    "console.directory.cl.min_duration": (
        "Минимальная длительность визита",
        "Сапардың ең аз ұзақтығы",
        "Least time on site",
    ),
    "console.directory.cl.no_min_duration": ("не задана", "берілмеген", "none"),
    "console.directory.cl.duration_s": ("{s} с", "{s} с", "{s} s"),
    "console.directory.cl.duration_min": ("{m} мин", "{m} мин", "{m} min"),
    "console.directory.cl.duration_min_s": ("{m} мин {s} с", "{m} мин {s} с", "{m} min {s} s"),
    "console.directory.cl.counts": (
        "стандартов {standards}, пунктов {items}",
        "стандарттар {standards}, тармақтар {items}",
        "{standards} standards, {items} items",
    ),
    "console.directory.cl.active": ("действует", "әрекетте", "in use"),
    "console.directory.cl.retired": ("выведена", "шығарылған", "retired"),
    "console.directory.cl.back": ("← Все чек-листы", "← Барлық чек-парақтар", "← All checklists"),
    "console.directory.cl.done.published": (
        "Версия опубликована.",
        "Нұсқа жарияланды.",
        "The version is published.",
    ),
    "console.directory.cl.done.same": (
        "Эта версия уже была опубликована с тем же содержимым; ничего не изменилось.",
        "Бұл нұсқа осы мазмұнмен бұрын жарияланған; ештеңе өзгерген жоқ.",
        "This version was already published with the same content; nothing changed.",
    ),
    "console.directory.cl.done.retired": (
        "Версия выведена: новые назначения её не используют.",
        "Нұсқа шығарылды: жаңа тапсырмалар оны пайдаланбайды.",
        "The version is retired: new assignments do not use it.",
    ),
    "console.directory.cl.standard_facts": (
        "Вес {weight}; категория {category}; {attribution}",
        "Салмағы {weight}; санаты {category}; {attribution}",
        "Weight {weight}; category {category}; {attribution}",
    ),
    "console.directory.cl.attribution.person": (
        "оценивает сотрудника",
        "қызметкерді бағалайды",
        "scores the person",
    ),
    "console.directory.cl.attribution.unit": (
        "оценивает подразделение",
        "бөлімшені бағалайды",
        "scores the unit",
    ),
    "console.directory.cl.items_of": ("Пункты стандарта {code}", "{code} стандартының тармақтары", "Items of {code}"),
    "console.directory.cl.col.item": ("Пункт", "Тармақ", "Item"),
    "console.directory.cl.col.question": ("Вопрос", "Сұрақ", "Question"),
    "console.directory.cl.col.kind": ("Вид ответа", "Жауап түрі", "Answer kind"),
    # an item's answer kind (checklists/model.py ItemKind)
    "console.directory.item_kind.yes_no": ("да / нет", "иә / жоқ", "yes / no"),
    "console.directory.item_kind.scale": ("шкала", "шкала", "scale"),
    "console.directory.item_kind.duration": ("время, с", "уақыт, с", "duration, s"),
    "console.directory.item_kind.choice": ("выбор", "таңдау", "choice"),
    "console.directory.item_kind.number": ("число", "сан", "number"),
    "console.directory.item_kind.text": ("текст", "мәтін", "text"),
    "console.directory.item_kind.photo": ("фото", "фото", "photo"),
    "console.directory.item_kind.audio": ("аудиозапись", "аудиожазба", "audio"),
    "console.directory.cl.col.weight": ("Вес", "Салмағы", "Weight"),
    "console.directory.cl.col.rules": ("Правила", "Ережелер", "Rules"),
    "console.directory.cl.critical.zero": (
        "критичный: обнуляет визит",
        "сыни: сапарды нөлдейді",
        "critical: zeroes the visit",
    ),
    "console.directory.cl.critical.flag": (
        "критичный: отмечается",
        "сыни: белгіленеді",
        "critical: flagged",
    ),
    "console.directory.cl.optional": ("необязательный", "міндетті емес", "optional"),
    "console.directory.cl.na_allowed": ("можно «неприменимо»", "«қолданылмайды» рұқсат", "N/A allowed"),
    "console.directory.cl.evidence.optional": (
        "подтверждение по желанию",
        "дәлел қалауы бойынша",
        "evidence optional",
    ),
    "console.directory.cl.evidence.required": (
        "подтверждение обязательно",
        "дәлел міндетті",
        "evidence required",
    ),
    "console.directory.cl.retire": ("Вывести версию", "Нұсқаны шығару", "Retire this version"),
    "console.directory.cl.retire_title": (
        "Вывести «{title}» v{version}?",
        "«{title}» v{version} шығару керек пе?",
        "Retire “{title}” v{version}?",
    ),
    "console.directory.cl.retire_explain": (
        "Новые назначения больше не смогут использовать эту версию. Визиты, уже проведённые по ней,"
        " по-прежнему принимаются. Отменить вывод нельзя.",
        "Жаңа тапсырмалар бұл нұсқаны енді пайдалана алмайды. Ол бойынша жүргізілген сапарлар бұрынғыдай"
        " қабылданады. Шығаруды болдырмау мүмкін емес.",
        "New assignments can no longer use this version. Visits already made on it are still accepted."
        " Retiring cannot be undone.",
    ),
    "console.directory.cl.retire_confirm": (
        "Вывести {id} v{version}",
        "{id} v{version} шығару",
        "Retire {id} v{version}",
    ),
    "console.directory.cl.already_retired": (
        "Версия уже выведена {when}.",
        "Нұсқа {when} шығарылған.",
        "The version was retired on {when}.",
    ),
    "console.directory.cl.publish": ("Опубликовать версию", "Нұсқаны жариялау", "Publish a version"),
    "console.directory.cl.publish_intro": (
        "Файл TOML с одной версией чек-листа проверяется так же, как при публикации через API. Если есть"
        " проблемы, они перечисляются все, и ничего не публикуется.",
        "Чек-парақтың бір нұсқасы бар TOML файлы API арқылы жариялағандағыдай тексеріледі. Мәселелер болса,"
        " барлығы тізіледі және ештеңе жарияланбайды.",
        "A TOML file of one checklist version is checked as a publish through the API is. Any problems are"
        " all listed, and nothing is published.",
    ),
    # Publishing a checklist or a policy.
    "console.directory.publish.file": ("Файл TOML", "TOML файлы", "TOML file"),
    "console.directory.publish.file_help": (
        "UTF-8; не больше {mb} МБ.",
        "UTF-8; {mb} МБ-тан аспауы керек.",
        "UTF-8; at most {mb} MB.",
    ),
    "console.directory.publish.submit": ("Проверить и опубликовать", "Тексеру және жариялау", "Check and publish"),
    "console.directory.publish.invalid": (
        "В файле {file} проблем: {n}. Ничего не опубликовано.",
        "{file} файлындағы мәселелер: {n}. Ештеңе жарияланған жоқ.",
        "{file} has {n} problem(s). Nothing was published.",
    ),
    "console.directory.publish.choose_file": ("Выберите файл.", "Файлды таңдаңыз.", "Choose a file."),
    "console.directory.publish.version_exists": (
        "Эта версия уже опубликована с другим содержимым: увеличьте номер версии.",
        "Бұл нұсқа басқа мазмұнмен жарияланған: нұсқа нөмірін арттырыңыз.",
        "This version is already published with other content: raise the version number.",
    ),
    "console.directory.publish.other": (
        "Опубликовать не удалось.",
        "Жариялау мүмкін болмады.",
        "The version could not be published.",
    ),
    # Diffs.
    "console.directory.diff.from": ("Сравнить", "Салыстыру", "Compare"),
    "console.directory.diff.to": ("с", "мынамен", "with"),
    "console.directory.diff.show": ("Показать различия", "Айырмашылықтарды көрсету", "Show differences"),
    "console.directory.diff.title": ("различия v{a} и v{b}", "v{a} мен v{b} айырмашылығы", "v{a} against v{b}"),
    "console.directory.diff.caption": ("Изменений: {n}", "Өзгерістер: {n}", "Changes: {n}"),
    "console.directory.diff.same": (
        "Версии не различаются.",
        "Нұсқалардың айырмашылығы жоқ.",
        "The versions do not differ.",
    ),
    "console.directory.diff.col.what": ("Что", "Не", "What"),
    "console.directory.diff.col.change": ("Изменение", "Өзгеріс", "Change"),
    "console.directory.diff.col.field": ("Поле", "Өріс", "Field"),
    "console.directory.diff.what.checklist": ("чек-лист", "бақылау парағы", "checklist"),
    "console.directory.diff.what.standard": ("стандарт", "стандарт", "standard"),
    "console.directory.diff.what.item": ("пункт", "тармақ", "item"),
    "console.directory.diff.how.added": ("добавлен", "қосылды", "added"),
    "console.directory.diff.how.removed": ("удалён", "жойылды", "removed"),
    "console.directory.diff.how.changed": ("изменён", "өзгертілді", "changed"),
    # Policies.
    "console.directory.pol.title": ("Политики мотивации", "Ынталандыру саясаттары", "Motivation policies"),
    "console.directory.pol.none": (
        "Ни одна политика не опубликована.",
        "Бірде-бір саясат жарияланбаған.",
        "No policy is published.",
    ),
    "console.directory.pol.latest": (
        "действует для открытых месяцев",
        "ашық айларға қолданылады",
        "rules open months",
    ),
    "console.directory.pol.earlier": ("прежняя", "бұрынғы", "earlier"),
    "console.directory.pol.back": ("← Все политики", "← Барлық саясаттар", "← All policies"),
    "console.directory.pol.publish": ("Опубликовать политику", "Саясатты жариялау", "Publish a policy"),
    "console.directory.pol.publish_intro": (
        "Файл TOML с одной версией политики проверяется так же, как при публикации через API. Если есть"
        " проблемы, они перечисляются все, и ничего не публикуется.",
        "Саясаттың бір нұсқасы бар TOML файлы API арқылы жариялағандағыдай тексеріледі. Мәселелер болса,"
        " барлығы тізіледі және ештеңе жарияланбайды.",
        "A TOML file of one policy version is checked as a publish through the API is. Any problems are"
        " all listed, and nothing is published.",
    ),
    "console.directory.pol.settings": ("Параметры политики", "Саясат параметрлері", "Policy settings"),
    "console.directory.pol.col.setting": ("Параметр", "Параметр", "Setting"),
    "console.directory.pol.col.value": ("Значение", "Мәні", "Value"),
    "console.directory.pol.changed": (
        "Изменённых параметров: {n}",
        "Өзгертілген параметрлер: {n}",
        "Settings changed: {n}",
    ),
    "console.directory.pol.unchanged": ("без изменений", "өзгеріссіз", "unchanged"),
    "console.directory.pol.setting.title.ru": ("Название (рус.)", "Атауы (орыс.)", "Title (Russian)"),
    "console.directory.pol.setting.title.kk": ("Название (каз.)", "Атауы (қаз.)", "Title (Kazakh)"),
    "console.directory.pol.setting.title.en": ("Название (англ.)", "Атауы (ағыл.)", "Title (English)"),
    "console.directory.pol.setting.confidence": (
        "Доверительная вероятность",
        "Сенімділік ықтималдығы",
        "Confidence",
    ),
    "console.directory.pol.setting.min_visits": (
        "Минимум визитов",
        "Сапарлардың ең аз саны",
        "Minimum visits",
    ),
    "console.directory.pol.setting.neutral_coefficient": (
        "Нейтральный коэффициент",
        "Бейтарап коэффициент",
        "Neutral coefficient",
    ),
    "console.directory.pol.setting.bands": (
        "Шкала: балл → коэффициент",
        "Шкала: балл → коэффициент",
        "Band: score → coefficient",
    ),
    "console.directory.pol.setting.rag.green_at": (
        "Зелёная отметка от",
        "Жасыл белгі бастап",
        "Green from",
    ),
    "console.directory.pol.setting.rag.amber_at": (
        "Жёлтая отметка от",
        "Сары белгі бастап",
        "Amber from",
    ),
}
