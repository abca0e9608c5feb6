"""Console texts: base (key -> (ru, kk, en); terms as in checklists/library/README.md).

The frame of every page (header, navigation, language switch), signing in and out and the error
pages.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str, str]] = {
    # the frame
    "console.product": ("Tekseru", "Tekseru", "Tekseru"),
    "console.product.long": (
        "Tekseru: аудит качества обслуживания",
        "Tekseru: қызмет көрсету сапасының аудиті",
        "Tekseru: service quality audit",
    ),
    "console.skip": ("Перейти к содержанию", "Мазмұнға өту", "Skip to content"),
    "console.nav.label": ("Основное меню", "Негізгі мәзір", "Main menu"),
    "console.nav.home": ("Главная", "Басты бет", "Home"),
    "console.nav.review": ("Проверка визитов", "Сапарларды тексеру", "Review"),
    "console.nav.quarantine": ("Карантин", "Карантин", "Quarantine"),
    # the pager of every list
    "console.page.label": ("Страницы", "Беттер", "Pages"),
    "console.page.first": ("В начало", "Басына", "First page"),
    "console.page.prev": ("Назад", "Артқа", "Previous"),
    "console.page.next": ("Дальше", "Әрі қарай", "Next"),
    "console.page.newest": ("К новейшим", "Ең жаңаларына", "Newest"),
    "console.page.older": ("Старее", "Ескілері", "Older"),
    "console.page.of": ("страница {page} из {pages}", "{pages} беттің {page}-беті", "page {page} of {pages}"),
    "console.nav.dashboard": ("Показатели", "Көрсеткіштер", "Dashboard"),
    "console.nav.periods": ("Закрытие месяца", "Айды жабу", "Month end"),
    "console.nav.scorecards": ("Оценочные карты", "Бағалау карталары", "Scorecards"),
    "console.nav.admin": ("Администрирование", "Әкімшілік", "Administration"),
    "console.lang.label": ("Язык интерфейса", "Интерфейс тілі", "Interface language"),
    # each language is named in itself, whatever the page's language
    "console.lang.ru": ("Русский", "Русский", "Русский"),
    "console.lang.kk": ("Қазақша", "Қазақша", "Қазақша"),
    "console.lang.en": ("English", "English", "English"),
    "console.lang.current": ("выбран", "таңдалған", "selected"),
    "console.user.signed_in": ("Вы вошли как {name}", "Сіз {name} ретінде кірдіңіз", "Signed in as {name}"),
    "console.role.admin": ("администратор", "әкімші", "administrator"),
    "console.role.quality_lead": ("руководитель по качеству", "сапа жөніндегі жетекші", "quality lead"),
    "console.role.hr": ("HR", "HR", "HR"),
    "console.role.unit_manager": ("руководитель подразделения", "бөлімше басшысы", "unit manager"),
    "console.role.auditor": ("аудитор", "аудитор", "auditor"),
    "console.sign_out": ("Выйти", "Шығу", "Sign out"),
    "console.times_in": (
        "Время указано по часовому поясу {zone}",
        "Уақыт {zone} белдеуі бойынша көрсетілген",
        "Times are shown in the {zone} time zone",
    ),
    # signing in
    "console.login.title": ("Вход", "Кіру", "Sign in"),
    "console.login.heading": ("Вход в Tekseru", "Tekseru жүйесіне кіру", "Sign in to Tekseru"),
    "console.login.intro": (
        "Для руководителей по качеству, HR, руководителей подразделений и администраторов."
        " Аудиторы работают на планшетах.",
        "Сапа жөніндегі жетекшілерге, HR-ға, бөлімше басшыларына және әкімшілерге арналған."
        " Аудиторлар планшетте жұмыс істейді.",
        "For quality leads, HR, unit managers and administrators. Auditors work on their tablets.",
    ),
    "console.login.username": ("Имя пользователя", "Пайдаланушы аты", "User name"),
    "console.login.password": ("Пароль", "Құпиясөз", "Password"),
    "console.login.submit": ("Войти", "Кіру", "Sign in"),
    "console.login.failed": (
        "Неверное имя пользователя или пароль.",
        "Пайдаланушы аты немесе құпиясөз қате.",
        "The user name or the password is wrong.",
    ),
    "console.login.wait": (
        "Слишком много неудачных попыток. Повторите через {seconds} с.",
        "Сәтсіз әрекеттер тым көп. {seconds} секундтан кейін қайталаңыз.",
        "Too many failed attempts. Try again in {seconds} s.",
    ),
    "console.login.locked": (
        "Вход временно заблокирован после многих неудачных попыток. Повторите через {minutes} мин.",
        "Көп сәтсіз әрекеттен кейін кіру уақытша бұғатталды. {minutes} минуттан кейін қайталаңыз.",
        "Signing in is locked for a while after many failed attempts. Try again in {minutes} min.",
    ),
    "console.login.signed_out": ("Вы вышли из системы.", "Сіз жүйеден шықтыңыз.", "You have signed out."),
    "console.login.expired": (
        "Сеанс завершён. Войдите снова.",
        "Сеанс аяқталды. Қайта кіріңіз.",
        "Your session has ended. Please sign in again.",
    ),
    "console.login.forgot": (
        "Забыли пароль? Его может сменить администратор.",
        "Құпиясөзді ұмыттыңыз ба? Оны әкімші ауыстыра алады.",
        "Forgot your password? An administrator can reset it.",
    ),
    # errors
    "console.error.title": ("Ошибка {status}", "{status} қатесі", "Error {status}"),
    "console.error.403": (
        "Доступ запрещён. У вашей роли нет прав на это действие, или форма устарела: обновите страницу.",
        "Кіруге тыйым салынған. Сіздің рөліңізге бұл әрекетке рұқсат жоқ"
        " немесе форманың мерзімі өткен: бетті жаңартыңыз.",
        "Access denied. Your role may not do this, or the form has expired: reload the page.",
    ),
    "console.error.404": ("Страница не найдена.", "Бет табылмады.", "Page not found."),
    "console.error.400": (
        "Запрос не удалось обработать: проверьте введённые данные.",
        "Сұрауды өңдеу мүмкін болмады: енгізілген деректерді тексеріңіз.",
        "The request could not be processed: check what was entered.",
    ),
    "console.error.409": (
        "Данные изменились, пока страница была открыта. Обновите её и повторите.",
        "Бет ашық тұрғанда деректер өзгерді. Оны жаңартып, қайталаңыз.",
        "The data changed while the page was open. Reload it and try again.",
    ),
    "console.error.429": (
        "Слишком много запросов. Повторите позже.",
        "Сұраулар тым көп. Кейінірек қайталаңыз.",
        "Too many requests. Try again later.",
    ),
    "console.error.500": (
        "Внутренняя ошибка сервера. Она записана в журнал; повторите позже.",
        "Сервердің ішкі қатесі. Ол журналға жазылды; кейінірек қайталаңыз.",
        "The server failed. The error has been logged; try again later.",
    ),
    "console.error.other": (
        "Запрос не выполнен.",
        "Сұрау орындалмады.",
        "The request was not carried out.",
    ),
    "console.error.home": ("На главную", "Басты бетке", "Go to the home page"),
}
