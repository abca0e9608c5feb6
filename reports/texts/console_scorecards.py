"""The console's texts for its scorecards pages (key -> (ru, kk, en))."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {
    "console.scorecards.title": ("Оценочные карты", "Бағалау карталары", "Scorecards"),
    "console.scorecards.back": ("← Все оценочные карты", "← Барлық бағалау карталары", "← All scorecards"),
    "console.scorecards.published_n": (
        "Опубликовано карт: {n}.",
        "Жарияланған карталар: {n}.",
        "Scorecards published: {n}.",
    ),
    "console.scorecards.published_one": (
        "Карта опубликована: её файл больше не изменится.",
        "Карта жарияланды: оның файлы енді өзгермейді.",
        "The scorecard is published: its file will never change.",
    ),
    # building drafts
    "console.scorecards.build.title": ("Подготовить черновики", "Жобаларды дайындау", "Build drafts"),
    "console.scorecards.build.intro": (
        "Черновик для каждого действующего подразделения выбранного типа и карта сети — "
        "по одобренным визитам месяца. Это идёт в фоне: за ходом можно следить и закрыть страницу.",
        "Таңдалған түрдегі әрбір жұмыс істеп тұрған бөлімшеге жоба және желі картасы — "
        "айдың мақұлданған сапарлары бойынша. Бұл фонда орындалады: барысын бақылауға да, бетті жабуға да болады.",
        "A draft for every active unit of the chosen kind, and the network scorecard, from the month's "
        "approved visits. It runs in the background: watch its progress or close the page.",
    ),
    "console.scorecards.build.start": ("Подготовить", "Дайындау", "Build"),
    "console.scorecards.period": ("Месяц", "Ай", "Month"),
    "console.scorecards.kind": ("Тип подразделений", "Бөлімшелер түрі", "Unit kind"),
    "console.scorecards.lang": ("Язык", "Тіл", "Language"),
    "console.scorecards.status": ("Статус", "Мәртебесі", "Status"),
    "console.scorecards.status.draft": ("черновик", "жоба", "draft"),
    "console.scorecards.status.published": ("опубликована", "жарияланған", "published"),
    "console.scorecards.scope.unit": ("подразделение", "бөлімше", "unit"),
    "console.scorecards.scope.staff": ("сотрудник", "қызметкер", "staff member"),
    "console.scorecards.scope.network": ("сеть", "желі", "network"),
    "console.scorecards.network_of": ("Сеть: {kind}", "Желі: {kind}", "Network: {kind}"),
    # jobs
    "console.scorecards.jobs.caption": ("Последние задания", "Соңғы тапсырмалар", "Recent build jobs"),
    "console.scorecards.job.title": ("Подготовка черновиков", "Жобаларды дайындау", "Building drafts"),
    "console.scorecards.job.heading": (
        "Черновики за {period}: {kind}",
        "{period} жобалары: {kind}",
        "Drafts of {period}: {kind}",
    ),
    "console.scorecards.job.state": ("Состояние", "Күйі", "State"),
    "console.scorecards.job.started": ("Запущено", "Басталды", "Started"),
    "console.scorecards.job.finished": ("Завершено", "Аяқталды", "Ended"),
    "console.scorecards.job.status.running": ("идёт", "орындалуда", "running"),
    "console.scorecards.job.status.finished": ("готово", "дайын", "finished"),
    "console.scorecards.job.status.interrupted": ("прервано", "үзілді", "interrupted"),
    "console.scorecards.job.progress_title": ("Ход работы", "Барысы", "Progress"),
    "console.scorecards.job.progress_label": ("Готово карт", "Дайын карталар", "Scorecards done"),
    "console.scorecards.job.progress": (
        "обработано {processed} из {total}, готово {done}",
        "{total} ішінен {processed} өңделді, {done} дайын",
        "{processed} of {total} processed, {done} done",
    ),
    "console.scorecards.job.failed_n": ("· не удалось: {n}", "· сәтсіз: {n}", "· failed: {n}"),
    "console.scorecards.job.last_error": (
        "Последняя ошибка: {error}",
        "Соңғы қате: {error}",
        "Last error: {error}",
    ),
    "console.scorecards.job.already": (
        "Такое задание уже идёт — показано оно.",
        "Мұндай тапсырма орындалып жатыр — сол көрсетілді.",
        "This build is already running: here it is.",
    ),
    "console.scorecards.job.reload_note": (
        "Страницу можно обновить или закрыть: работа продолжается на сервере.",
        "Бетті жаңартуға немесе жабуға болады: жұмыс серверде жалғасады.",
        "You may reload or close this page: the work goes on at the server.",
    ),
    "console.scorecards.job.interrupted_note": (
        "Сервер остановился до конца задания. Запустите его снова: неизменившиеся черновики останутся теми же.",
        "Тапсырма аяқталмай тұрып сервер тоқтады. Оны қайта іске қосыңыз: өзгермеген жобалар сол күйінде қалады.",
        "The server stopped before the job ended. Start it again: drafts whose data did not change stay the same.",
    ),
    "console.scorecards.job.see_drafts": (
        "Черновики этого месяца",
        "Осы айдың жобалары",
        "This month's drafts",
    ),
    # the list
    "console.scorecards.filters": ("Фильтры", "Сүзгілер", "Filters"),
    "console.scorecards.any": ("все", "барлығы", "any"),
    "console.scorecards.apply": ("Показать", "Көрсету", "Show"),
    "console.scorecards.reset": ("Сбросить", "Тазарту", "Reset"),
    "console.scorecards.zip": (
        "Опубликованные за {period} (ZIP)",
        "{period} жарияланғандары (ZIP)",
        "Published, {period} (ZIP)",
    ),
    "console.scorecards.table.caption": ("Оценочные карты: {n}", "Бағалау карталары: {n}", "Scorecards: {n}"),
    "console.scorecards.select_all": ("Выбрать все черновики", "Барлық жобаларды таңдау", "Select every draft"),
    "console.scorecards.select_row": (
        "Выбрать: {subject}, {language}",
        "Таңдау: {subject}, {language}",
        "Select {subject}, {language}",
    ),
    "console.scorecards.col.subject": ("Карта", "Карта", "Scorecard"),
    "console.scorecards.col.scope": ("Охват", "Қамту", "Scope"),
    "console.scorecards.col.period": ("Месяц", "Ай", "Month"),
    "console.scorecards.col.lang": ("Язык", "Тіл", "Language"),
    "console.scorecards.col.status": ("Статус", "Мәртебесі", "Status"),
    "console.scorecards.col.created": ("Создана", "Жасалды", "Created"),
    "console.scorecards.col.published": ("Опубликована", "Жарияланды", "Published"),
    "console.scorecards.col.download": ("Файл", "Файл", "File"),
    "console.scorecards.not_published": ("нет", "жоқ", "no"),
    "console.scorecards.pdf": ("PDF", "PDF", "PDF"),
    "console.scorecards.size": ("Размер", "Көлемі", "Size"),
    "console.scorecards.size_kb": ("{kb} КБ", "{kb} КБ", "{kb} KB"),
    "console.scorecards.empty": (
        "Карт с такими фильтрами нет.",
        "Мұндай сүзгілермен карталар жоқ.",
        "No scorecards match these filters.",
    ),
    "console.scorecards.publish_selected": (
        "Опубликовать выбранные",
        "Таңдалғандарды жариялау",
        "Publish the selected ones",
    ),
    "console.scorecards.publish_all": (
        "Опубликовать все черновики ({n})",
        "Барлық жобаларды жариялау ({n})",
        "Publish all drafts ({n})",
    ),
    "console.scorecards.publish_all.note": (
        "Черновиков за {period} ({kind}): {n}. После публикации файлы не меняются.",
        "{period} жобалары ({kind}): {n}. Жарияланғаннан кейін файлдар өзгермейді.",
        "Drafts of {period} ({kind}): {n}. Once published, their files never change.",
    ),
    "console.scorecards.publish_all.confirm": (
        "Опубликовать {n} черновиков за {period} ({kind})?",
        "{period} ({kind}) бойынша {n} жобаны жариялау керек пе?",
        "Publish {n} drafts of {period} ({kind})?",
    ),
    # one scorecard
    "console.scorecards.facts": ("О карте", "Карта туралы", "About this scorecard"),
    "console.scorecards.open_pdf": ("Открыть PDF", "PDF ашу", "Open the PDF"),
    "console.scorecards.publish_one": ("Опубликовать", "Жариялау", "Publish"),
    "console.scorecards.publish_one.note": (
        "Опубликованную карту видит HR; её файл и хеш больше не меняются.",
        "Жарияланған картаны HR көреді; оның файлы мен хеші енді өзгермейді.",
        "HR sees a published scorecard; its file and hash never change again.",
    ),
    "console.scorecards.publish_one.confirm": (
        "Опубликовать эту карту?",
        "Бұл картаны жариялау керек пе?",
        "Publish this scorecard?",
    ),
    "console.scorecards.page1_alt": (
        "Первая страница карты: {subject}",
        "Картаның бірінші беті: {subject}",
        "First page of the scorecard: {subject}",
    ),
    "console.scorecards.page1_caption": (
        "Первая страница; весь документ — в PDF.",
        "Бірінші беті; толық құжат — PDF-те.",
        "The first page; the whole document is in the PDF.",
    ),
}
