"""Simulated visits for the demo: last month reviewed and closed, this month half reviewed.

The visits come in as tablets send them (through the same push engine), then a quality lead
reviews them (through the same decisions) and HR closes last month, so every screen of the
product has real numbers the moment `make serve` starts. Deterministic: the same month gives the
same visits.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import io
import random
import sqlite3
import uuid
from zoneinfo import ZoneInfo

import msgspec

from checklists.model import Item
from checklists.score import item_score
from reports.policy import Integrity
from server import closing
from server.blobstore import BlobStore
from server.db import Database
from server.errors import ProblemError
from server.integrity.flags import Stop, parse_time, travel
from server.periods import previous_period
from server.settings import Settings
from server.store import blobs as blobs_store
from server.store import reviews as reviews_store
from server.store import sync as sync_store
from server.sync.push import Author, store_revisions
from server.sync.refresh import refresher
from server.sync.review import decide

# What a shopper writes when an item fails, by item id: each comment is about that item's question.
ITEM_COMMENTS: dict[str, tuple[str, ...]] = {
    # branch: queue and hall
    "BR-01.1": (
        "Ждала вызова к окну 24 минуты, работали два окна из пяти.",
        "С талоном ждал около 18 минут, табло долго стояло на одном номере.",
    ),
    "BR-02.1": (
        "Терминал электронной очереди не работал, талон не выдали.",
        "Талон распечатался без вида услуги, только номер.",
    ),
    "BR-02.2": (
        "Номер на табло не показали и голосом не объявили, свою очередь пропустила.",
        "Двух клиентов без талона приняли вне очереди, ничего не объяснив.",
    ),
    "BR-03.1": (
        "У входа грязь на полу, на стойке у окна пыль.",
        "В зале пахло сыростью, у дивана мусорная корзина переполнена.",
    ),
    "BR-03.2": (
        "Сесть было некуда: три стула на весь зал.",
        "На столе для клиентов нет ни бланков заявлений, ни ручки.",
    ),
    "BR-04.1": (
        "Прейскурант у кассы только на русском и прошлогодний, цены не совпадают с сайтом.",
        "Тарифы на видном месте не вывешены, сотрудник показал распечатку из ящика.",
    ),
    "BR-04.2": (
        "На стенде нет книги жалоб и предложений.",
        "На стенде висит акция, закончившаяся в прошлом месяце, контактов для обращений нет.",
    ),
    "BR-05.1": (
        "Режим работы у входа только на русском, перерыв не указан.",
        "Табличка с режимом работы выцвела, часы не прочитать.",
    ),
    "BR-05.2": (
        "В 9:10 дверь ещё была закрыта, открыли в 9:25.",
        "С 13:00 повесили табличку «технический перерыв», приём прекратили на 40 минут.",
    ),
    "BR-06.1": (
        "Пандуса нет, у входа четыре ступени, кнопки вызова сотрудника нет.",
        "Пандус есть, но заставлен рекламным щитом, поручня нет.",
    ),
    "BR-06.2": (
        "Информации о первоочередном обслуживании в зале нет, пожилая женщина ждала в общей очереди.",
        "Беременную женщину не пропустили к окну без очереди, сослались на талоны.",
    ),
    # branch: the employee
    "BR-07.1": (
        "Подошла к окну, сотрудник секунд двадцать смотрел в монитор и не поздоровался.",
        "Поздоровалась первой я, сотрудник только кивнул.",
    ),
    "BR-07.2": (
        "Сотрудник не поднял глаз от экрана, присесть не предложил.",
        "Разговаривал сухо, в глаза не смотрел, я стояла всё обслуживание.",
    ),
    "BR-08.1": (
        "Обратилась на казахском, сотрудник попросил говорить по-русски.",
        "Начали на казахском, потом сотрудник перешёл на русский, сказав, что так быстрее.",
    ),
    "BR-08.2": (
        "Договор дали только на русском, на казахском сказали «закончились».",
        "Памятку на казахском не предложили, хотя я обслуживалась на казахском.",
    ),
    "BR-09.1": (
        "Бейджа не было, имя сотрудника пришлось спросить.",
        "Бейдж висел на кармане перевёрнутым, имя не видно.",
    ),
    "BR-10.1": ("Сотрудник в спортивной толстовке, без формы.", "Форма мятая, на рубашке пятно."),
    "BR-10.2": (
        "На стойке чашка чая и пакет с булочками.",
        "На рабочем месте личный телефон на зарядке и стопка чужих заявлений на виду.",
    ),
    "BR-11.1": (
        "Сотрудник повысил голос: «Я же вам уже объяснила!» — и отвернулся.",
        "На вопрос о перерасчёте ответил с усмешкой: «Читать договор надо».",
    ),
    "BR-11.2": (
        "Обращался на «ты» и отвечал раздражённо.",
        "К концу разговора тон стал резким, торопил: «Ну что ещё?»",
    ),
    "BR-12.1": (
        "Сразу предложил самый дорогой пакет, не спросив адрес и какие услуги уже есть.",
        "Про бюджет и зачем нужен интернет не спросили, дали буклет.",
    ),
    "BR-12.2": (
        "Запрос не уточнили, оформили не ту услугу, пришлось переделывать.",
        "Не переспросил, что мне нужно, и начал рассказывать про IPTV, хотя я спрашивала про телефон.",
    ),
    "BR-13.1": (
        "Назвали абонплату 7 990 ₸, по прейскуранту 9 490 ₸.",
        "Сказали, что акция действует до конца года, а на сайте — до конца месяца.",
    ),
    "BR-13.2": (
        "О минимальном сроке договора 12 месяцев узнала только из договора.",
        "Стоимость роутера и подключения не назвали, пока я сама не спросила.",
    ),
    "BR-14.1": (
        "Предложили тариф на 500 Мбит/с, хотя я сказала, что нужен интернет только для почты.",
        "Почему этот пакет мне подходит, не объяснили: «Его все берут».",
    ),
    "BR-14.2": (
        "Попросила вариант подешевле — сказали, что других нет.",
        "Показали только один тариф, сравнить было не с чем.",
    ),
    "BR-15.1": (
        "Разовое начисление 1 500 ₸ в счёте так и не объяснили: «Это система начислила».",
        "Объяснили только абонплату, про международные звонки и перерасчёт промолчали.",
    ),
    "BR-15.2": (
        "Не сказали, где смотреть детализацию, посоветовали приходить в ПСС.",
        "Про личный кабинет и электронный счёт не упомянули.",
    ),
    "BR-16.1": (
        "Перебивал, когда я рассказывала о проблеме, и сказал, что виноват монтажник.",
        "Сказал, что это вопрос не к ним, а к контакт-центру, жалобу выслушал наполовину.",
    ),
    "BR-16.2": (
        "Жалобу не оформили, предложили позвонить на 165.",
        "Заявление приняли, но при мне не зарегистрировали, сказали «потом внесём».",
    ),
    "BR-16.3": (
        "Номер обращения не назвали, срок ответа тоже.",
        "Сказали «ответят в течение месяца», номера обращения не дали.",
    ),
    "BR-17.1": (
        "Вопрос не решили, отправили в другой ПСС.",
        "Сказали прийти ещё раз с паспортом владельца договора, хотя доверенность у меня была.",
    ),
    "BR-18.1": (
        "Обслуживание у окна заняло 35 минут, система несколько раз зависала.",
        "Переоформление договора длилось почти полчаса, сотрудник уходил к администратору.",
    ),
    "BR-19.1": (
        "Договор дали на подпись, не дав прочитать: «Там стандартно».",
        "На вопрос о пункте про штраф ответили, что не знают.",
    ),
    "BR-19.2": ("Мой экземпляр договора не отдали, чек об оплате не выдали.", "Чек выдали, а копию заявления — нет."),
    "BR-20.1": (
        "О службе 165 и номере 195 не сказали.",
        "Про проверку баланса по 195 не рассказали, только дали визитку ПСС.",
    ),
    "BR-20.2": (
        "Получать счёт на электронную почту не предложили.",
        "Про электронный счёт не сказали, выдали бумажный.",
    ),
    "BR-20.3": (
        "О личном кабинете не рассказали, помочь зарегистрироваться не предложили.",
        "Про личный кабинет сказали мимоходом, как зарегистрироваться — не объяснили.",
    ),
    "BR-20.4": (
        "Мобильное приложение не предложили, чек выдали только бумажный.",
        "На вопрос о приложении ответили «найдёте сами в магазине приложений».",
    ),
    "BR-21.1": (
        "Сменили тариф по моему номеру телефона, удостоверение не спросили.",
        "Детализацию звонков распечатали, не проверив документ.",
    ),
    "BR-21.2": (
        "Назвал вслух мой ИИН и сумму долга, рядом стояли другие клиенты.",
        "Продиктовал адрес и номер телефона на весь зал.",
    ),
    "BR-21.3": (
        "Сведения о чужом лицевом счёте назвали без доверенности.",
        "Про баланс соседа рассказали, причину отказа не объясняли — просто дали данные.",
    ),
    "BR-22.1": (
        "Намекнул, что за «благодарность» подключат на этой неделе, а не через две.",
        "Предложил оплатить подключение переводом на личную карту, «так быстрее».",
    ),
    "BR-23.1": (
        "Подключили антивирус за 990 ₸ в месяц, хотя я дважды отказалась.",
        "Настойчиво уговаривал взять IPTV, о котором я не спрашивала.",
    ),
    "BR-24.1": (
        "Во время обслуживания отвечал в мессенджере на личном телефоне.",
        "Сотрудник принял личный звонок, я ждала около трёх минут.",
    ),
    "BR-24.2": ("Обсуждал с коллегой обед, пока оформлял мою заявку.", "Отошёл от окна на пять минут без объяснений."),
    "BR-25.1": ("Перебивал, не дослушав вопрос до конца.", "Несколько раз перебил и ответил не на тот вопрос."),
    "BR-25.2": (
        "Говорил «ONT», «GPON» и «сплиттер», ничего не объяснив.",
        "Что такое IPTV-приставка и зачем она нужна, объяснить не смог.",
    ),
    "BR-26.1": (
        "Итог не подвели: что сделано и когда ждать мастера — непонятно.",
        "Не сказали, сколько в итоге буду платить в месяц.",
    ),
    "BR-26.2": (
        "Не спросили, остались ли вопросы, сразу вызвали следующего.",
        "Закончили на полуслове и нажали кнопку вызова следующего талона.",
    ),
    "BR-26.3": ("Не поблагодарил и не попрощался.", "Попрощалась я, сотрудник промолчал."),
    "BR-27.1": (
        "Оценить обслуживание не предложили, пульт оценки у окна выключен.",
        "Пульта оценки нет, SMS-опрос не пришёл.",
    ),
    "BR-28.1": (
        "Администратора в зале не было, в терминале выбирала услугу наугад.",
        "Консультант зала был занят телефоном, цель визита не уточнил.",
    ),
    "BR-28.2": (
        "Номера окон не обозначены, указатели только на русском.",
        "Какие операции в каком окне, нигде не написано.",
    ),
    "BR-29.1": (
        "Пол у входа мокрый, таблички «осторожно, скользко» нет.",
        "Эвакуационный выход заставлен коробками, из-под стойки свисают провода.",
    ),
    "BR-30.1": (
        "В целом визит оставил неприятное впечатление: долго и без результата.",
        "Обслуживание формальное, вопрос так и не решён.",
    ),
    # contact centre
    "CC-01.1": (
        "До оператора дозванивался почти 7 минут.",
        "Ждал ответа оператора 5 минут 40 секунд, музыка обрывалась.",
    ),
    "CC-01.2": (
        "Пока ждал, автоинформатор ни разу не сказал, сколько ещё ждать.",
        "Место в очереди не сообщали, только музыка.",
    ),
    "CC-02.1": (
        "Голосовое меню заняло больше двух минут, длинные рекламные объявления.",
        "До очереди к оператору шёл через меню около 3 минут.",
    ),
    "CC-02.2": (
        "Чтобы попасть к оператору, пришлось пройти пять уровней меню.",
        "Пункта «соединить с оператором» нет, пришлось перебирать уровни меню.",
    ),
    "CC-03.1": ("Выбор языка в начале звонка не предложили, меню сразу на русском.", "Меню выбора языка не было."),
    "CC-03.2": (
        "После выбора казахского часть сообщений звучала на русском.",
        "В казахском меню ошибки в словах и смешение с русским.",
    ),
    "CC-04.1": (
        "Оператор сказал только «Алло, слушаю», компанию не назвал.",
        "Не поздоровался, сразу спросил номер телефона.",
    ),
    "CC-04.2": ("Оператор не назвал своё имя.", "Имя не назвал, на вопрос ответил «это не важно»."),
    "CC-05.1": ("Оператор перебивал, не дослушал вопрос.", "Перебил на середине фразы и начал читать скрипт."),
    "CC-05.2": (
        "Вопрос не переспросил и ответил про другую услугу.",
        "Не уточнил, правильно ли понял, в итоге оформил не ту заявку.",
    ),
    "CC-06.1": (
        "Выбрала казахский в меню, оператор начал на русском.",
        "Оператор ответил на казахском, потом перешёл на русский без моей просьбы.",
    ),
    "CC-06.2": (
        "Попросила перейти на казахский — оператор сказал, что таких операторов нет.",
        "На просьбу перейти на казахский предложили перезвонить позже.",
    ),
    "CC-07.1": (
        "Оператор не спросил адрес и с какого времени нет интернета.",
        "Не уточнил, что я уже перезагружал роутер, и велел перезагрузить.",
    ),
    "CC-07.2": ("Номер договора спросили три раза.", "Повторно спросили ФИО и адрес, хотя я их уже назвал."),
    "CC-08.1": (
        "Данные по счёту обсуждали, не спросив ФИО владельца договора.",
        "Идентифицировали только по номеру телефона.",
    ),
    "CC-08.2": (
        "Назвали задолженность и адрес, не спросив, кто звонит.",
        "Оператор сообщил подключённые услуги и ФИО владельца без проверки.",
    ),
    "CC-08.3": ("Оператор попросил продиктовать код из SMS.", "Спросили пароль от личного кабинета «для проверки»."),
    "CC-09.1": (
        "Назвали неверную стоимость тарифа, на сайте другая.",
        "Сказали, что перерасчёт сделают автоматически, а нужно заявление.",
    ),
    "CC-09.2": (
        "На вопрос о сроке ответили «в ближайшее время».",
        "Стоимость подключения не назвали: «посмотрите на сайте».",
    ),
    "CC-10.1": ("Вопрос не решён, сказали позвонить завтра.", "Заявку не приняли, предложили прийти в ПСС."),
    "CC-10.2": (
        "Отправили в ПСС, хотя тариф можно было сменить по телефону.",
        "Дали другой номер и посоветовали звонить туда.",
    ),
    "CC-11.1": (
        "Номер заявки не назвали, сказали «всё зафиксировано».",
        "Оператор не назвал номер обращения, пришлось переспрашивать.",
    ),
    "CC-11.2": ("Срок рассмотрения заявки не назвали.", "Как узнать статус заявки, не объяснили."),
    "CC-12.1": (
        "Поставил на удержание без предупреждения.",
        "Оператор сказал «минуточку» и пропал, разрешения не спросил.",
    ),
    "CC-12.2": (
        "Удержание длилось больше четырёх минут.",
        "На удержании провисел около 5 минут, дважды прерывалась музыка.",
    ),
    "CC-13.1": (
        "Перевели в другой отдел без предупреждения.",
        "Не сказали, кому и зачем переводят, пришлось объяснять всё заново.",
    ),
    "CC-13.2": ("При переводе звонок оборвался.", "После перевода никто не ответил, связь прервалась."),
    "CC-14.1": (
        "Обещали перезвонить в течение часа — не перезвонили.",
        "Обратный звонок поступил только на следующий день.",
    ),
    "CC-14.2": (
        "Перезвонивший специалист не знал, о чём речь, пришлось рассказывать заново.",
        "Перезвонили, но суть вопроса не знали.",
    ),
    "CC-15.1": ("Оператор говорил холодно и безразлично.", "Отвечал односложно, с раздражением в голосе."),
    "CC-15.2": ("Обращался на «ты».", "Узнав имя, по имени не обращался, говорил «женщина»."),
    "CC-16.1": ("Оператор повысил голос и сказал, что я сама виновата.", "Язвил и в итоге прервал звонок."),
    "CC-16.2": ("Было слышно, как оператор жуёт.", "Оператор отвлекался на разговор с коллегой во время звонка."),
    "CC-17.1": (
        "Говорил «ONT не в сети, нужна перерегистрация», не объяснив, что это.",
        "Использовал жаргон: «провиженинг», «порт упал».",
    ),
    "CC-18.1": (
        "Не рассказали про 195 и личный кабинет, хотя вопрос был про баланс.",
        "О мобильном приложении не упомянули.",
    ),
    "CC-18.2": (
        "Сказали «есть приложение», но как его найти и где раздел — не объяснили.",
        "Адрес личного кабинета не назвали.",
    ),
    "CC-19.1": (
        "О действующей акции на мой тариф не сказали.",
        "Выгодный тариф для пенсионеров не предложили, хотя я сказал, что пенсионер.",
    ),
    "CC-19.2": (
        "После отказа ещё дважды предлагал подключить IPTV.",
        "Продолжал уговаривать на антивирус после моего отказа.",
    ),
    "CC-20.1": (
        "В конце не подытожил, что и когда будет сделано.",
        "Разговор закончился без резюме, непонятно, кто приедет и когда.",
    ),
    "CC-20.2": ("Не уточнил, всё ли мне понятно.", "Быстро завершил разговор, не спросив, понятно ли."),
    "CC-21.1": ("Не спросил, есть ли у меня другие вопросы.", "Сразу попрощался, второй вопрос задать не успела."),
    "CC-22.1": ("Не поблагодарил за звонок и не попрощался.", "Разговор закончился без прощания."),
    "CC-22.2": (
        "Оператор положил трубку первым, пока я ещё говорила.",
        "Связь прервалась сразу после ответа, я не успела попрощаться.",
    ),
    "CC-23.1": (
        "Пообещал бесплатное подключение, хотя акция закончилась.",
        "Обещал перерасчёт без заявления — такого не предусмотрено.",
    ),
    "CC-23.2": (
        "Назвал срок ремонта 3 дня, по нормативу — сутки.",
        "Сказал, что подключат через месяц, норматив короче.",
    ),
    "CC-24.1": (
        "Отговаривал подавать жалобу: «это ничего не изменит».",
        "Жалобу не зарегистрировал, предложил написать на сайт.",
    ),
    "CC-24.2": ("Не извинился, спорил и обвинял монтажников.", "Сказал, что проблема на моей стороне, и спорил."),
    "CC-25.1": (
        "Длинные паузы, в трубке тишина без объяснений.",
        "Больше минуты молчания, оператор что-то искал и не предупредил.",
    ),
    "CC-26.1": ("Говорил очень быстро и тихо, переспрашивала несколько раз.", "Речь невнятная, плохо слышно."),
    "CC-26.2": ("Смешивал казахский и русский в одной фразе.", "Много слов-паразитов: «как бы», «короче»."),
    "CC-27.1": ("Сильное эхо и шум зала контакт-центра.", "Связь прерывалась, часть ответа не расслышал."),
    "CC-28.1": (
        "В районе была авария, но ни меню, ни оператор об этом не сказали.",
        "О плановых работах не сообщили, срок восстановления не назвали.",
    ),
    "CC-29.1": ("Оценить обслуживание не предложили.", "Голосового опроса после разговора не было."),
    "CC-29.2": ("SMS с номером заявки не пришло.", "Заявку оформили, но SMS о статусе так и не было."),
    "CC-30.1": (
        "Звонок оставил плохое впечатление, снова звонить не хочется.",
        "Долго, вопрос не решён, общее впечатление плохое.",
    ),
    # field technician
    "FT-01.1": ("Техник приехал через трое суток после заявки.", "От заявки до приезда прошло больше 50 часов."),
    "FT-02.1": (
        "Дату визита заранее не согласовали, техник просто пришёл.",
        "Ни звонка диспетчера, ни SMS о визите не было.",
    ),
    "FT-02.2": ("Интервал прибытия — весь день с 9 до 18.", "Согласовали «первую половину дня» без точного времени."),
    "FT-03.1": ("Техник опоздал на полтора часа и не предупредил.", "Приехал на час позже согласованного интервала."),
    "FT-04.1": ("Перед приездом техник не позвонил, меня не было дома.", "Не позвонил, адрес искал по соседям."),
    "FT-05.1": ("Техник вошёл и не поздоровался.", "Поздоровалась я, техник промолчал."),
    "FT-05.2": (
        "Не представился и не сказал, зачем пришёл.",
        "Не назвал ни имя, ни компанию, сказал «я по интернету».",
    ),
    "FT-06.1": ("Удостоверение не показал, пока я не попросила.", "Бейджа с фотографией не было."),
    "FT-06.2": ("В удостоверении другое имя и фото.", "Фото в удостоверении не похоже на пришедшего техника."),
    "FT-07.1": ("Техник без формы, в обычной куртке.", "Форменной одежды с логотипом не было."),
    "FT-07.2": ("Одежда в пятнах краски, неопрятный вид.", "От техника сильно пахло табаком."),
    "FT-08.1": ("Бахилы не надел, прошёл в обуви.", "Бахилы надел только после моей просьбы, уже в комнате."),
    "FT-09.1": (
        "Говорила на казахском, техник отвечал только по-русски.",
        "Попросила перейти на казахский — сказал, что не говорит.",
    ),
    "FT-10.1": ("Встал на кухонный стул вместо стремянки.", "Стремянка шаталась, техник стоял на верхней ступени."),
    "FT-10.2": ("Работал у щитка без отключения напряжения.", "Подключал удлинитель с повреждённой изоляцией."),
    "FT-10.3": ("Подключил роутер в искрящую розетку.", "Оставил оголённые провода у розетки."),
    "FT-11.1": (
        "Не объяснил, что будет делать и сколько это займёт.",
        "Молча начал сверлить, план работ не рассказал.",
    ),
    "FT-11.2": (
        "Стоимость дополнительного кабеля назвал только после работ.",
        "За розетку взял деньги, цену заранее не согласовал.",
    ),
    "FT-12.1": ("Просверлил стену, не спросив разрешения.", "Передвинул шкаф без согласования."),
    "FT-12.2": (
        "Кабель провёл по стене у двери, место не согласовал.",
        "Роутер поставил в коридоре, хотя я просила в комнате.",
    ),
    "FT-13.1": (
        "Интернет подключил, телефон нет — нужен повторный выезд.",
        "Неисправность не устранена, обещали прислать другого мастера.",
    ),
    "FT-13.2": (
        "Услугу восстановили только через четверо суток после заявки.",
        "От заявки до подключения прошла неделя.",
    ),
    "FT-14.1": (
        "Проверил только роутер, розетку и кабель смотреть не стал.",
        "Всю линию не проверил, сказал «остальное не по заявке».",
    ),
    "FT-14.2": (
        "Заметил повреждённый сплиттер, но ничего не сделал и не объяснил.",
        "Попутную неисправность телефонной линии оставил: «это другая заявка».",
    ),
    "FT-15.1": (
        "Скорость интернета вместе со мной не проверили.",
        "Замер скорости сделал на своём телефоне, результат не показал.",
    ),
    "FT-15.2": ("Каналы IPTV не проверили, пульт не работает.", "Включил один канал и ушёл."),
    "FT-15.3": ("Тестовый звонок не сделал, гудок не проверил.", "Домашний телефон проверить отказался."),
    "FT-16.1": ("Скорость загрузки 38 Мбит/с при тарифе 100.", "Замер показал меньше половины скорости по тарифу."),
    "FT-17.1": (
        "Как пользоваться приставкой и что значат индикаторы, не объяснил.",
        "Как перезагрузить роутер, не показал.",
    ),
    "FT-18.1": ("Оставил заводской пароль Wi-Fi.", "Поставил пароль 12345678, не спросив меня."),
    "FT-18.2": (
        "Пароль Wi-Fi не записал и ни одно устройство не подключил.",
        "Имя сети и пароль не передал, пришлось звонить в 165.",
    ),
    "FT-18.3": (
        "Сфотографировал моё удостоверение на личный телефон.",
        "Спрашивал ИИН и номер карты, это не нужно для подключения.",
    ),
    "FT-19.1": (
        "При сверлении поцарапал ламинат и оторвал кусок обоев.",
        "Повредил плинтус, когда прокладывал кабель.",
    ),
    "FT-19.2": (
        "После работы остался мусор от кабеля и строительная пыль.",
        "Обрезки кабеля и упаковку оставил на полу.",
    ),
    "FT-19.3": ("Отодвинутый диван на место не вернул.", "Тумбу с телевизором оставил посреди комнаты."),
    "FT-20.1": (
        "Попросил 5 000 ₸ наличными «за срочность» без квитанции.",
        "Намекнул, что за оплату «на руки» подключит сегодня.",
    ),
    "FT-20.2": (
        "Предлагал купить у него «свой» роутер дешевле, чем в компании.",
        "Предложил ТВ-приставку за наличные в обход компании.",
    ),
    "FT-21.1": ("Был раздражён и отвечал неохотно.", "Разговаривал сквозь зубы, на вопросы отвечал через раз."),
    "FT-21.2": ("Повысил голос, когда я попросила надеть бахилы.", "Спорил и выражался нецензурно."),
    "FT-21.3": ("Сказал: «У нас всегда так, диспетчеры всё путают».", "Ругал компанию и коллег при абоненте."),
    "FT-22.1": ("От техника пахло алкоголем.", "Признаки опьянения: запах алкоголя, неуверенная походка."),
    "FT-22.2": ("Курил на лестничной площадке у двери.", "Полчаса говорил по телефону на личные темы во время работы."),
    "FT-23.1": ("Не хватило кабеля, назначили повторный визит.", "Забыл ТВ-приставку, обещал привезти завтра."),
    "FT-23.2": ("Роутер без блока питания, пульт не работает.", "Выданная приставка неисправна, не включается."),
    "FT-24.1": (
        "На вопрос о тарифе ответил «не знаю, это не ко мне» и не подсказал, куда обратиться.",
        "Не смог ответить про оборудование и не назвал 165.",
    ),
    "FT-25.1": ("Акт выполненных работ не оформил.", "В акте указан не тот роутер, подписать предложил не читая."),
    "FT-25.2": ("Экземпляр акта не оставил.", "Акт увёз с собой, копию ни на бумаге, ни по SMS не дал."),
    "FT-26.1": ("О службе 165 не сказал.", "Номер справочной не назвал, дал свой личный телефон."),
    "FT-26.2": ("О личном кабинете и приложении не рассказал.", "Про личный кабинет не упомянул."),
    "FT-27.1": ("Не объяснил, как сообщить о новой неисправности.", "Сказал звонить ему лично, а не в 165."),
    "FT-28.1": ("Кабель провис вдоль стены, не закреплён скобами.", "Кабель пережат дверью, кабель-канал не поставил."),
    "FT-28.2": ("Роутер поставил в закрытый шкаф без доступа воздуха.", "Розетку не закрепил, болтается на проводе."),
    "FT-29.1": ("Подтверждения о закрытии заявки не пришло.", "SMS об оценке работ не пришло."),
    "FT-29.2": ("В личном кабинете подключён другой тариф.", "Абонплату начислили за неделю до подключения."),
    "FT-30.1": (
        "Общее впечатление плохое: опоздал, намусорил, не всё проверил.",
        "Работу сделал, но впечатление неприятное.",
    ),
}

# A remark for an item none of the above covers (a checklist loaded besides the library). Drawn for
# every failed item all the same: the draw keeps the demo's random stream (and so its visits) as they were.
FAIL_COMMENTS = {
    "branch": [
        "Ждала у окна, сотрудник разговаривал по личному телефону.",
        "Тарифы объяснили невнятно, про акцию не сказали.",
        "Кезек талоны берілмеді, терминал істемеді.",
        "Прайс-лист у кассы старый, цены не совпадают с сайтом.",
        "Не предложили ни 165, ни личный кабинет.",
        "Қызметкер орысша жауап берді, қазақша сұрасам да.",
    ],
    "contact_centre": [
        "Ждал соединения почти 4 минуты, музыка обрывалась.",
        "Оператор не назвал номер заявки, сказал перезвонить завтра.",
        "Переключили на другой отдел без предупреждения, звонок оборвался.",
        "Оператор перебивал, не дослушал вопрос.",
        "Байланыс орталығы қазақ тіліне ауыса алмады.",
    ],
    "field_technician": [
        "Мастер опоздал на час и не позвонил.",
        "После работы остался мусор от кабеля.",
        "Скорость интернета вместе со мной не проверили.",
        "Бахилы не надел, прошёл в обуви.",
        "Акт выполненных работ не оставил.",
    ],
}
CAPTIONS = ["фото зала", "прайс-лист у кассы", "запись звонка", "фото установки", "табло очереди"]


def _value(item: Item, passes: bool, rng: random.Random) -> object:
    kind = item.kind
    if kind == "yes_no":
        good = True if item.pass_answer is None else item.pass_answer
        return good if passes else not good
    if kind == "scale":
        pass_at = item.max if item.pass_at is None else item.pass_at
        return rng.randint(pass_at, item.max) if passes else rng.randint(item.min, pass_at - 1)
    if kind == "duration":
        limit = item.limit_s or 60
        if passes:
            return rng.randint(limit // 4, limit)
        return rng.randint(limit + 1, (item.zero_at_s or limit * 2) + limit // 2)
    if kind == "choice":
        options = item.options or []
        best = [o.id for o in options if o.score == 1.0]
        worse = [o.id for o in options if o.score < 1.0]
        return rng.choice(best if passes or not worse else worse)
    if kind == "number":
        return rng.randint(0, 12)
    if kind == "text":
        return "Визит прошёл спокойно." if passes else "Есть замечания, см. комментарии."
    return rng.choice(CAPTIONS)  # photo, audio: a caption; the file itself would come by upload


def _fail_comment(item: Item, kind: str, rng: random.Random) -> str:
    """What the shopper writes about a failed item: one of that item's own comments, picked by the draw."""
    remarks = FAIL_COMMENTS[kind]
    drawn = rng.choice(remarks)
    own = ITEM_COMMENTS.get(item.id)
    return own[remarks.index(drawn) % len(own)] if own else drawn


def demo_photo(caption: str, number: int) -> bytes:
    """A small JPEG standing in for a shopper's photo: a coloured frame with its caption (deterministic)."""
    from importlib import resources

    from PIL import Image, ImageDraw, ImageFont

    font_file = resources.files("reports") / "fonts" / "DejaVuSans.ttf"
    with resources.as_file(font_file) as path:
        big, small = ImageFont.truetype(str(path), 26), ImageFont.truetype(str(path), 15)
    image = Image.new("RGB", (480, 320), (70 + number * 37 % 150, 110 + number * 53 % 120, 150))
    draw = ImageDraw.Draw(image)
    # A scene of its own behind the caption (shelves, a counter, a window: blocks of light and
    # shade), so that two photos differ as real ones do, also to a perceptual hash.
    rng = random.Random(f"{number}:{caption}")
    for _ in range(14):
        x, y = rng.randrange(0, 440), rng.randrange(0, 280)
        box = (x, y, x + rng.randrange(30, 260), y + rng.randrange(20, 200))
        shade = tuple(rng.randrange(20, 236) for _ in range(3))
        (draw.ellipse if rng.random() < 0.3 else draw.rectangle)(box, fill=shade)
    draw.rectangle((12, 12, 467, 307), outline=(255, 255, 255), width=4)
    draw.text((32, 110), f"Фото {number + 1}", fill=(255, 255, 255), font=big)
    words, line, lines = caption.split(), "", []
    for word in words:  # the shopper's comment, wrapped to the frame
        if draw.textlength(f"{line} {word}".strip(), font=small) > 410:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    for n, text in enumerate(lines[:4]):
        draw.text((32, 160 + n * 22), text, fill=(255, 255, 255), font=small)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def make_visit(
    index,
    unit_id: str,
    kind: str,
    staff_ids: list[str],
    started: dt.datetime,
    quality: float,
    rng: random.Random,
    photos: dict[str, bytes] | None = None,
    place: tuple[float, float] | None = None,
) -> dict:
    """One submitted visit as a tablet sends it, with comments (and photos, into `photos`) on what failed,
    and a GPS fix a few tens of metres from `place` (the unit's), as a phone in the hall gets."""
    answers = []
    for item_id, item in index.items.items():
        if not item.required and rng.random() < 0.5:
            continue
        if item.na_allowed and rng.random() < 0.15:
            answers.append({"item": item_id, "na": True})
            continue
        passes = rng.random() < (quality if item.critical != "zero" else 0.985)
        answer = {"item": item_id, "value": _value(item, passes, rng)}
        if item.scored and not passes:
            answer["comment"] = _fail_comment(item, kind, rng)
            # The shopper photographs what failed: every failed critical item, some of the others.
            if photos is not None and (item.critical or rng.random() < 0.08):
                photo = demo_photo(answer["comment"], len(photos))
                photos[hashlib.sha256(photo).hexdigest()] = photo
                answer["evidence"] = [hashlib.sha256(photo).hexdigest()]
        answers.append(answer)
    visit = {
        "rev_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "submission_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "parents": [],
        "checklist": {"id": index.checklist.id, "version": index.checklist.version},
        "unit_id": unit_id,
        "staff_ids": staff_ids,
        "started_at": started.isoformat(),
        "finished_at": (started + dt.timedelta(minutes=rng.randint(12, 40))).isoformat(),
        "state": "submitted",
        "answers": answers,
    }
    if place is not None:
        # Within about 40 m of the unit (0.0001° of latitude is 11 m), with the phone's accuracy.
        visit["location"] = {
            "lat": round(place[0] + rng.uniform(-0.00035, 0.00035), 6),
            "lon": round(place[1] + rng.uniform(-0.00045, 0.00045), 6),
            "accuracy_m": rng.choice((5, 8, 12, 16, 25)),
        }
    return visit


async def simulate(db: Database, blobs: BlobStore, auditors: list[str], today: dt.date, tz: ZoneInfo) -> list[str]:
    """Visits for last month (reviewed, closed) and this month so far (half reviewed), with the photos of
    what failed stored as evidence; lines to print."""
    if await db.read(_row, "SELECT 1 FROM submissions LIMIT 1"):
        return []
    this_month = f"{today:%Y-%m}"
    last_month = previous_period(this_month)
    rng = random.Random(f"tekseru-demo-{this_month}")
    units = await db.read(_rows, "SELECT unit_id, kind, lat, lon FROM units WHERE active = 1 ORDER BY unit_id")
    staff_rows = await db.read(_rows, "SELECT staff_id, unit_id FROM staff WHERE active = 1 ORDER BY staff_id")
    staff_of: dict[str, list[str]] = {}
    for row in staff_rows:
        staff_of.setdefault(row["unit_id"], []).append(row["staff_id"])
    versions = {
        r["checklist_id"]: r["version"]
        for r in await db.read(
            _rows,
            "SELECT checklist_id, max(version) AS version FROM checklist_versions WHERE retired_at IS NULL"
            " GROUP BY checklist_id",
        )
    }
    indexes = {
        kind: await db.read(sync_store.checklist_index, db.checklist_indexes, kind, v) for kind, v in versions.items()
    }
    by_auditor: dict[str, list[dict]] = {a: [] for a in auditors}
    photos: dict[str, bytes] = {}
    made: dict[str, list[dict]] = {last_month: [], this_month: []}
    for n, unit in enumerate(units):
        quality = rng.uniform(0.78, 0.97)
        auditor = auditors[n % len(auditors)]
        people = staff_of.get(unit["unit_id"], [])
        for period, count, last_day in (
            (last_month, rng.randint(4, 6), None),
            (this_month, rng.randint(2, 4), today.day),
        ):
            year, month = int(period[:4]), int(period[5:])
            days = last_day or calendar.monthrange(year, month)[1]
            for _ in range(count):
                started = dt.datetime(
                    year, month, rng.randint(1, days), rng.randint(9, 17), rng.choice((0, 15, 30, 45)), tzinfo=tz
                )
                if started.date() > today:
                    started = started.replace(day=today.day)
                # Most visits meet the few consultants on the floor that day, so they gather enough
                # visits for a coefficient; the others show `insufficient_sample`.
                pool = people[:3] if rng.random() < 0.8 else people
                team = rng.sample(pool, k=min(len(pool), 2 if rng.random() < 0.3 else 1)) if pool else []
                place = (unit["lat"], unit["lon"]) if unit["lat"] is not None and unit["lon"] is not None else None
                visit = make_visit(
                    indexes[unit["kind"]], unit["unit_id"], unit["kind"], team, started, quality, rng, photos, place
                )
                by_auditor[auditor].append(visit)
                made[period].append(visit)
    places = {u["unit_id"]: (u["lat"], u["lon"]) for u in units if u["lat"] is not None and u["lon"] is not None}
    for auditor, visits in by_auditor.items():
        _travel_plausibly(visits, places, today)
        author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=0)
        for start in range(0, len(visits), 200):
            await store_revisions(db, visits[start : start + 200], author, tz)
    cases = await review_cases(db, units, staff_of, indexes, auditors, today, tz, photos)
    # The photos arrive as a tablet's uploads would end: each file in place, then recorded (and the
    # visits waiting for it leave `awaiting_evidence`).
    for sha256, photo in photos.items():
        identity = await blobs.put(sha256, photo)
        await db.write(blobs_store.record_blob, sha256, len(photo), "image/jpeg", refresher(db, tz), identity)
    # Last month: every visit reviewed (a few rejected), then closed by HR.
    decisions = [_decision(v, rng, reject_share=0.06) for v in made[last_month]]
    # This month: about half reviewed; the rest wait in the queue.
    decisions += [_decision(v, rng, reject_share=0.05) for v in made[this_month] if rng.random() < 0.5]
    await decide(db, "qlead.saule", decisions, tz)
    await closing.close(db, last_month, "hr.dana", force=False)
    return [
        f"demo: {len(made[last_month])} visits in {last_month} (reviewed, closed), "
        f"{len(made[this_month])} in {this_month} ({len(decisions) - len(made[last_month])} reviewed), "
        f"{len(photos)} photos of what failed",
        "demo: to review: " + ", ".join(f"{what} {unit_id} ({sid})" for what, unit_id, sid in cases),
    ]


# The days before today kept for the cases made on purpose (review cases yesterday, integrity cases
# the day before, the travel case the day before that): no drawn visit of an auditor lands on them,
# so the cases' travel between cities is the only one the demo questions.
CASE_DAYS = (1, 2, 3)


def _travel_plausibly(visits: list[dict], places: dict[str, tuple[float, float]], today: dt.date) -> None:
    """Move an auditor's drawn visits to other days of their month until no two follow each other
    faster than the integrity rules allow (the draw sends one auditor to several cities), and off the
    days kept for the cases: the demo's `impossible_travel` flags are then only the case made for it."""
    rules = Integrity()
    kept = {today - dt.timedelta(days=n) for n in CASE_DAYS}

    def stop(v: dict) -> Stop | None:
        place = places.get(v["unit_id"])
        started = parse_time(v["started_at"])
        if place is None or started is None:
            return None
        return Stop(
            submission_id=v["submission_id"],
            started=started,
            finished=parse_time(v["finished_at"]),
            lat=place[0],
            lon=place[1],
        )

    def clashes(v: dict) -> bool:
        if parse_time(v["started_at"]).date() in kept:
            return True
        ordered = sorted((s for s in map(stop, visits) if s is not None), key=lambda s: s.started)
        at = next((i for i, s in enumerate(ordered) if s.submission_id == v["submission_id"]), None)
        if at is None:
            return False
        me = ordered[at]
        before = ordered[at - 1] if at > 0 else None
        after = ordered[at + 1] if at + 1 < len(ordered) else None
        return (before is not None and travel(before, me, rules) is not None) or (
            after is not None and travel(me, after, rules) is not None
        )

    for v in visits:
        if not clashes(v):
            continue
        started, finished = parse_time(v["started_at"]), parse_time(v["finished_at"])
        month_days = calendar.monthrange(started.year, started.month)[1]
        last = today.day if (started.year, started.month) == (today.year, today.month) else month_days
        for day, hour in [(d, h) for d in range(1, last + 1) for h in range(9, 18)]:
            moved = started.replace(day=day, hour=hour)
            v["started_at"] = moved.isoformat()
            v["finished_at"] = (moved + (finished - started)).isoformat()
            if not clashes(v):
                break


# A visit's evidence that no tablet ever uploads: the visit waits in `awaiting_evidence`.
# A unit closed and removed from the directory after a tablet last pulled it (demo case (d)).
STALE_UNIT = "AST-099"
NEVER_UPLOADED = hashlib.sha256(b"tekseru demo: a photo still on the tablet").hexdigest()


def _tablet(auditor: str, number: int = 1) -> str:
    """The device id of an auditor's demo tablet (the first keeps the id it always had)."""
    suffix = "" if number == 1 else f"/{number}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tekseru-demo-tablet/{auditor}{suffix}"))


async def review_cases(
    db: Database,
    units: list[sqlite3.Row],
    staff_of: dict[str, list[str]],
    indexes: dict,
    auditors: list[str],
    today: dt.date,
    tz: ZoneInfo,
    photos: dict[str, bytes],
) -> list[tuple[str, str, str]]:
    """This month's visits a quality lead finds in the queue whatever the random month gave:
    a conflict made by two tablets, one with photos, one waiting for evidence never uploaded.

    Their own random generator, so the rest of the demo stays the same visits. Answers
    (kind of case, unit, submission id) to print.
    """
    rng = random.Random(f"tekseru-demo-cases-{today:%Y-%m}")
    branches = [u["unit_id"] for u in units if u["kind"] == "branch"]
    unit_ids = [u["unit_id"] for u in units]
    conflict_unit, photo_unit, waiting_unit = branches[4 % len(branches)], branches[6 % len(branches)], branches[-2]
    index = indexes["branch"]
    made: list[tuple[str, str, str]] = []

    def visit(unit_id: str, hour: int) -> tuple[str, dict]:
        auditor = auditors[unit_ids.index(unit_id) % len(auditors)]
        started = dt.datetime(today.year, today.month, today.day, hour, 0, tzinfo=tz) - dt.timedelta(days=1)
        if started.month != today.month:
            started += dt.timedelta(days=1)
        team = staff_of.get(unit_id, [])[:1]
        unit = next(u for u in units if u["unit_id"] == unit_id)
        place = (unit["lat"], unit["lon"]) if unit["lat"] is not None and unit["lon"] is not None else None
        return auditor, make_visit(index, unit_id, "branch", team, started, 0.85, rng, place=place)

    # (a) Two tablets of one auditor edit the same submitted visit offline (same parent): each sets
    # its own comment on one answer and, where the answer is a scale, its own value, so the merge
    # keeps a conflict whatever this month's random answers were.
    auditor, base = visit(conflict_unit, 10)
    answered = [a for a in base["answers"] if "value" in a]
    target = next((a for a in answered if index.items[a["item"]].kind == "scale"), answered[0])
    item = index.items[target["item"]]
    values = [target["value"], target["value"]]
    if item.kind == "scale" and item.max - item.min >= 2:
        values = [v for v in range(item.max, item.min - 1, -1) if v != target["value"]][:2]
    first, second = dict(base), dict(base)
    for edit, value, comment in (
        (first, values[0], "Исправила после разговора с администратором."),
        (second, values[1], "Оценку снизила: консультант отвлекался."),
    ):
        answers = [dict(a) for a in base["answers"]]
        for a in answers:
            if a["item"] == target["item"]:
                a["value"], a["comment"] = value, comment
        edit.update(
            rev_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), parents=[base["rev_id"]], answers=answers
        )
    author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=0)
    await store_revisions(db, [base, first], author, tz)
    other = Author(name=auditor, rank="auditor", device_id=_tablet(auditor, 2), token_prefix="", offset_ms=0)
    await store_revisions(db, [second], other, tz)
    made.append(("conflict", conflict_unit, base["submission_id"]))

    # (b) A visit with photos: each failed answer (at least three answers) carries one.
    auditor, base = visit(photo_unit, 11)
    failed = [a for a in base["answers"] if a.get("comment")]
    shown = failed[:5] if len(failed) >= 3 else [a for a in base["answers"] if "value" in a][:3]
    for a in shown:
        caption = a.get("comment") or rng.choice(CAPTIONS)
        photo = demo_photo(caption, len(photos))
        photos[hashlib.sha256(photo).hexdigest()] = photo
        a["evidence"] = [*a.get("evidence", []), hashlib.sha256(photo).hexdigest()]
    author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=0)
    await store_revisions(db, [base], author, tz)
    made.append(("photos", photo_unit, base["submission_id"]))

    # (c) A visit whose photo is still on the tablet: it references a blob never uploaded.
    auditor, base = visit(waiting_unit, 12)
    answer = next(a for a in base["answers"] if "value" in a)
    answer["evidence"] = [NEVER_UPLOADED]
    author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=0)
    await store_revisions(db, [base], author, tz)
    made.append(("awaiting evidence", waiting_unit, base["submission_id"]))

    # (d) A tablet whose directory is out of date sends a visit to a unit the server does not know:
    # the revision is kept in quarantine (`unknown_unit`), where an admin sees it on /quarantine
    # and replays it once the unit exists.
    auditor, base = visit(waiting_unit, 13)
    base["unit_id"] = STALE_UNIT
    author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=0)
    await store_revisions(db, [base], author, tz)
    made.append(("quarantined", STALE_UNIT, base["submission_id"]))
    return made


def _row(c: sqlite3.Connection, sql: str) -> sqlite3.Row | None:
    return c.execute(sql).fetchone()


def _rows(c: sqlite3.Connection, sql: str) -> list[sqlite3.Row]:
    return c.execute(sql).fetchall()


def _decision(visit: dict, rng: random.Random, reject_share: float) -> reviews_store.Decision:
    reject = rng.random() < reject_share
    return reviews_store.Decision(
        submission_id=visit["submission_id"],
        decision="reject" if reject else "approve",
        comment="Визит вне графика, повторить проверку." if reject else None,
        heads=[visit["rev_id"]],
    )


async def publish_scorecards(db: Database, blobs: BlobStore, period: str, tz: ZoneInfo) -> list[str]:
    """Publish last month's unit scorecards (in Russian) and the branch network one, if none exist."""
    import hashlib

    from reports.scorecard import render
    from reports.scorecard_data import input_sha256
    from server.scorecards import Request, gather
    from server.store import scorecards as scorecard_store

    if await db.read(_row, "SELECT 1 FROM scorecards LIMIT 1"):
        return []
    units = await db.read(_rows, "SELECT unit_id FROM units WHERE active = 1 ORDER BY unit_id")
    requests = [Request(scope="unit", period=period, lang="ru", unit_id=u["unit_id"]) for u in units]
    requests.append(Request(scope="network", period=period, lang="ru", unit_kind="branch"))
    for req in requests:
        data = await gather(db, blobs, req, tz)
        pdf = render(data)
        subject = msgspec.structs.asdict(req)
        card = await db.write(
            scorecard_store.save_draft, subject, pdf, hashlib.sha256(pdf).hexdigest(), input_sha256(data), "qlead.saule"
        )
        await db.write(scorecard_store.publish, card, "qlead.saule")
    return [f"demo: published {len(requests)} scorecards of {period}"]


# --- appeals -------------------------------------------------------------------------------------------------

DEMO_MANAGER = "manager.aliya"
MANAGER_UNITS = ("ALM-014", "ALM-021")


async def appeal_cases(db: Database, settings: Settings, blobs: BlobStore, today: dt.date, tz: ZoneInfo) -> list[str]:
    """The branch manager of ALM-014 and ALM-021 disputes items of her units' approved visits: last month
    (closed) one item overturned (an adjustment of the closed month) and one upheld; this month one appeal
    open, with her photo. Lines to print; nothing when appeals exist already."""
    from server.appeals import AppealIn, AppealItemIn, DecisionIn, DecisionItemIn, decide_appeal, file_appeal
    from server.audited import approved_visit

    if await db.read(_row, "SELECT 1 FROM appeals LIMIT 1"):
        return []
    this_month = f"{today:%Y-%m}"
    cases = (
        (MANAGER_UNITS[0], previous_period(this_month), "overturned"),
        (MANAGER_UNITS[1], previous_period(this_month), "upheld"),
        (MANAGER_UNITS[0], this_month, None),
    )
    done: list[str] = []
    taken: set[str] = set()
    for unit_id, period, outcome in cases:
        candidates = await db.read(_approved_of, unit_id, period)
        failed = None
        for row in candidates:
            if row["submission_id"] in taken:
                continue
            visit = await approved_visit(db, tz, row["submission_id"], list(MANAGER_UNITS))
            index = await db.read(
                sync_store.checklist_index, db.checklist_indexes, visit.checklist.id, visit.checklist.version
            )
            # An item of a standard the staff answer for, so that an overturn moves a person's figure.
            failed = next(
                (
                    a
                    for a in visit.answers
                    if a.passed is False
                    and isinstance(a.value, bool)
                    and index.standard_of[a.item].attribution == "person"
                ),
                None,
            )
            if failed is not None and row["person_score"] is not None:
                break
            failed = None
        if failed is None:
            continue
        taken.add(visit.submission_id)
        evidence = []
        if outcome is None:
            photo = demo_photo("Консультант на месте: фото с камеры зала", 7)
            sha256 = hashlib.sha256(photo).hexdigest()
            identity = await blobs.put(sha256, photo)
            await db.write(blobs_store.record_blob, sha256, len(photo), "image/jpeg", refresher(db, tz), identity)
            evidence = [sha256]
        claim = APPEAL_CLAIMS[len(done) % len(APPEAL_CLAIMS)]
        item = AppealItemIn(item=failed.item, claim=claim, evidence=evidence)
        try:  # a demo loaded long ago: its visits may be past the appeal window
            body = AppealIn(submission_id=visit.submission_id, items=[item])
            appeal = await file_appeal(db, settings, DEMO_MANAGER, body)
        except ProblemError:
            continue
        if outcome is not None:
            reason = APPEAL_REASONS[outcome]
            value = True if outcome == "overturned" else None
            decision = DecisionItemIn(item=failed.item, outcome=outcome, reason=reason, value=value)
            await decide_appeal(db, settings, "qlead.saule", appeal.id, DecisionIn(items=[decision]))
        done.append(f"{outcome or 'open'} {unit_id} {period} ({appeal.id})")
    return ["demo: appeals of manager.aliya: " + ", ".join(done)] if done else []


def _approved_of(c: sqlite3.Connection, unit_id: str, period: str) -> list[sqlite3.Row]:
    return c.execute(
        "SELECT submission_id, person_score FROM submission_views"
        " WHERE unit_id = ? AND period = ? AND status = 'approved' ORDER BY submission_id",
        (unit_id, period),
    ).fetchall()


APPEAL_CLAIMS = (
    "Консультант поздоровался и представился: это видно на записи камеры зала, прошу пересмотреть.",
    "Прайс-лист был на стойке у кассы, его просто закрыл рекламный буклет на несколько минут.",
    "Сотрудник предложил талон электронной очереди, клиент отказался: прошу пересмотреть пункт.",
)
APPEAL_REASONS = {
    "overturned": "Запись камеры подтверждает приветствие: пункт засчитан.",
    "upheld": "На фото проверяющего пункт не выполнен; доводы не подтверждены.",
}


# --- calibration ---------------------------------------------------------------------------------------------

# The auditor who scores too kindly: she passes what her colleagues failed and hears shorter waits,
# so her agreement falls under the policy's threshold and her leniency is well above zero.
LENIENT_AUDITOR = "auditor.marina"
RATED_KINDS = ("yes_no", "scale", "choice", "duration")


async def calibration_pairs(db: Database, auditors: list[str], today: dt.date, tz: ZoneInfo) -> list[str]:
    """A few of last month's and this month's test calls and branch visits scored again by other auditors
    (revisions with `calibrates`): a careful colleague who differs on an item or two, and, for most,
    the lenient one. Last month's second scorings are approved; this month's wait in the queue.
    Lines to print; nothing when the demo holds second scorings already."""
    if await db.read(_row, "SELECT 1 FROM submission_views WHERE calibrates IS NOT NULL LIMIT 1"):
        return []
    this_month = f"{today:%Y-%m}"
    rng = random.Random(f"tekseru-demo-calibration-{this_month}")
    careful = [a for a in auditors if a != LENIENT_AUDITOR]
    made: dict[str, list[tuple[str, dict]]] = {}  # auditor -> (period of the event, revision)
    groups = 0
    for period in (previous_period(this_month), this_month):
        candidates = await db.read(_calibration_candidates, period)
        # Calibration looks at the contested events: the visits and calls with the most failed items.
        chosen: list[tuple[sqlite3.Row, bool]] = []
        for kind, count, with_lenient in (("contact_centre", 2, True), ("branch", 2, True), ("branch", 1, False)):
            rows = [r for r in candidates if r["kind"] == kind and r["auditor"] in careful]
            rows = [r for r in rows if r["submission_id"] not in {c["submission_id"] for c, _ in chosen}]
            rows.sort(key=lambda r: (-_failed_count(r["document"]), r["submission_id"]))
            chosen += [(r, with_lenient) for r in rows[:count]]
        for row, with_lenient in chosen:
            doc = msgspec.json.decode(row["document"])
            view = doc["view"]
            index = await db.read(
                sync_store.checklist_index, db.checklist_indexes, view["checklist"]["id"], view["checklist"]["version"]
            )
            colleague = next(a for a in careful if a != row["auditor"])
            scorers = [(colleague, False)] + ([(LENIENT_AUDITOR, True)] if with_lenient else [])
            for auditor, lenient in scorers:
                answers = _second_scoring(index, view["answers"], row["kind"], lenient, rng)
                revision = _calibration_revision(doc, answers, today, tz, rng)
                made.setdefault(auditor, []).append((period, revision))
            groups += 1
    decisions = []
    for auditor, revisions in made.items():
        author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=0)
        await store_revisions(db, [r for _, r in revisions], author, tz)
        decisions += [_decision(r, rng, reject_share=0.0) for p, r in revisions if p != this_month]
    if decisions:
        await decide(db, "qlead.saule", decisions, tz)
    scorings = sum(len(r) for r in made.values())
    if not scorings:  # a demo loaded long ago: no visits of these months to score again
        return []
    return [f"demo: calibration: {scorings} second scorings of {groups} visits and calls ({LENIENT_AUDITOR} lenient)"]


def _calibration_candidates(c: sqlite3.Connection, period: str) -> list[sqlite3.Row]:
    return c.execute(
        "SELECT v.submission_id, v.auditor, v.document, u.kind FROM submission_views v JOIN units u USING (unit_id)"
        " WHERE v.period = ? AND v.status IN ('received', 'needs_review', 'approved') AND v.calibrates IS NULL"
        " AND v.has_conflicts = 0"
        " ORDER BY v.submission_id",
        (period,),
    ).fetchall()


def _failed_count(document: str) -> int:
    """The failed items of a demo visit: the shopper comments on each of them."""
    return sum(1 for a in msgspec.json.decode(document)["view"]["answers"] if a.get("comment"))


def _second_scoring(index, answers: list[dict], kind: str, lenient: bool, rng: random.Random) -> list[dict]:
    """Another auditor's answers to the same event: the careful one differs on one or two items (a scale
    a point apart, a yes/no read the other way); the lenient one passes every failed item, gives scales
    their top mark and hears waits 40 % shorter. A failed item gets that auditor's own comment."""
    rated = [a["item"] for a in answers if not a.get("na") and a.get("value") is not None]
    rated = [i for i in rated if i in index.items and index.items[i].kind in RATED_KINDS]
    slips = set(rng.sample(rated, k=min(len(rated), rng.choice((1, 2))))) if not lenient else set()
    out = []
    for a in answers:
        item = index.items.get(a["item"])
        if a.get("na"):
            out.append({"item": a["item"], "na": True})
            continue
        value = a.get("value")
        if value is None or item is None:
            continue
        if item.kind in RATED_KINDS:
            if lenient:
                value = _kinder(item, value, item_score(item, value)[1], rng)
            elif a["item"] in slips:
                value = _slip(item, value, rng)
        answer = {"item": a["item"], "value": value}
        if item.scored and not item_score(item, value)[1]:
            own = ITEM_COMMENTS.get(item.id)
            # Another of the item's remarks than the first scorer's: a second scorer writes in their own words.
            others = [c for c in own or () if c != a.get("comment")]
            answer["comment"] = others[0] if others else _fail_comment(item, kind, rng)
        out.append(answer)
    return out


def _kinder(item: Item, value: object, passes: bool, rng: random.Random) -> object:
    if item.kind == "scale":
        return item.max
    if item.kind == "duration" and passes and isinstance(value, int):
        return int(value * 0.6)
    return value if passes else _value(item, True, rng)


def _slip(item: Item, value: object, rng: random.Random) -> object:
    if item.kind == "yes_no":
        return not value
    if item.kind == "scale" and isinstance(value, int) and item.min is not None and item.max is not None:
        return value - 1 if value > item.min else value + 1
    if item.kind == "choice":
        others = [o.id for o in item.options or () if o.id != value]
        return rng.choice(others) if others else value
    if item.kind == "duration" and isinstance(value, int):
        return int(value * 1.3) + 30
    return value


def _calibration_revision(doc: dict, answers: list[dict], today: dt.date, tz: ZoneInfo, rng: random.Random) -> dict:
    """A second scoring of the visit's event, sent the evening after it (from the recording and the photos)."""
    view = doc["view"]
    event = dt.datetime.fromisoformat(doc["corrected_start"].replace("Z", "+00:00")).astimezone(tz)
    scored = (event + dt.timedelta(days=1)).replace(hour=18, minute=30)
    if scored.date() > today or scored.month != event.month:
        scored = event + dt.timedelta(hours=1)
    return {
        "rev_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "submission_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "parents": [],
        "checklist": view["checklist"],
        "unit_id": view["unit_id"],
        "staff_ids": view["staff_ids"] or [],
        "started_at": scored.isoformat(),
        "finished_at": (scored + dt.timedelta(minutes=rng.randint(15, 25))).isoformat(),
        "state": "submitted",
        "answers": answers,
        "calibrates": doc["submission_id"],
    }


# --- integrity: visits whose signals a quality lead should question ------------------------------

COPIED = "Консультант не поздоровался, не поднял глаз от телефона и не предложил помощь, пока я стоял у стойки."


async def integrity_cases(
    db: Database, blobs: BlobStore, auditors: list[str], today: dt.date, tz: ZoneInfo
) -> list[str]:
    """This month's visits that raise each kind of integrity flag the demo can show (a fix 2 km from
    the unit, a tablet clock two days off, one photo in two visits, a re-encoded copy, a photo taken
    days before, a comment copied between visits, Almaty then Astana within the hour); lines to print.

    Their own random generator, so the rest of the demo stays the same visits."""
    if await db.read(_row, f"SELECT 1 FROM submissions WHERE submission_id = '{_case_id('far')}'"):
        return []
    rng = random.Random(f"tekseru-demo-integrity-{today:%Y-%m}")
    units = {
        r["unit_id"]: r
        for r in await db.read(
            _rows, "SELECT unit_id, kind, lat, lon FROM units WHERE active = 1 AND kind = 'branch' AND lat IS NOT NULL"
        )
    }
    staff = {
        r["unit_id"]: r["staff_id"]
        for r in await db.read(
            _rows, "SELECT unit_id, min(staff_id) AS staff_id FROM staff WHERE active = 1 GROUP BY unit_id"
        )
    }
    version = await db.read(
        _row, "SELECT max(version) AS v FROM checklist_versions WHERE checklist_id = 'branch' AND retired_at IS NULL"
    )
    index = await db.read(sync_store.checklist_index, db.checklist_indexes, "branch", version["v"])
    almaty = sorted(u for u in units if u.startswith("ALM"))
    astana = sorted(u for u in units if u.startswith("AST"))
    day = max(1, today.day - CASE_DAYS[1])
    travel_day = max(1, today.day - CASE_DAYS[2])
    photo = demo_photo("Грязный пол у окна обслуживания, мусорная корзина переполнена.", 901)
    copy = _reencoded(photo)
    visit_day = dt.date(today.year, today.month, day)
    old = _with_capture_time(
        demo_photo("Очередь у терминала, табло не работает.", 902), visit_day - dt.timedelta(days=3)
    )
    stored = {hashlib.sha256(p).hexdigest(): p for p in (photo, copy, old)}
    made: list[tuple[str, str, dict, int]] = []  # (case, auditor, visit, clock offset ms)

    def visit(case: str, auditor: str, unit_id: str, hour: int, minute: int = 0, on: int = day, **changes) -> dict:
        unit = units[unit_id]
        started = dt.datetime(today.year, today.month, on, hour, minute, tzinfo=tz)
        v = make_visit(index, unit_id, "branch", [staff[unit_id]], started, 0.9, rng, place=(unit["lat"], unit["lon"]))
        v["submission_id"] = _case_id(case)
        v["finished_at"] = (started + dt.timedelta(minutes=25)).isoformat()
        v.update(changes)
        return v

    def with_evidence(v: dict, sha256: str, comment: str | None = None) -> dict:
        target = next(a for a in v["answers"] if "value" in a and index.items[a["item"]].scored)
        target["evidence"] = [sha256]
        if comment:
            target["comment"] = comment
        return v

    a, b = auditors[0], auditors[1 % len(auditors)]
    far = visit("far", a, almaty[0], 9)
    far["location"] = {"lat": units[almaty[0]]["lat"] + 0.021, "lon": units[almaty[0]]["lon"], "accuracy_m": 10}
    made.append(("a GPS fix 2.3 km from the unit", a, far, 0))
    made.append(("a tablet clock two days off", b, visit("clock", b, almaty[1], 12), 2 * 86_400_000))
    blind = visit("nofix", b, almaty[2 % len(almaty)], 13)
    del blind["location"]
    made.append(("no GPS fix at a unit with a place", b, blind, 0))
    sha = hashlib.sha256(photo).hexdigest()
    made.append(
        ("one photo in two visits (1)", a, with_evidence(visit("photo1", a, almaty[1 % len(almaty)], 14), sha), 0)
    )
    made.append(("one photo in two visits (2)", b, with_evidence(visit("photo2", b, almaty[0], 16), sha), 0))
    made.append(
        (
            "a re-encoded copy of that photo",
            b,
            with_evidence(visit("similar", b, almaty[2 % len(almaty)], 11), _sha(copy)),
            0,
        )
    )
    made.append(("a photo taken three days before", a, with_evidence(visit("exif", a, almaty[0], 15), _sha(old)), 0))
    first = visit("comment1", b, almaty[0], 10)
    second = visit("comment2", b, almaty[1 % len(almaty)], 17)
    greeted = next(i for i, item in index.items.items() if item.kind == "yes_no" and item.required)
    for v in (first, second):
        target = next(x for x in v["answers"] if x["item"] == greeted)
        target["comment"] = COPIED
    made.append(("a comment copied between visits (1)", b, first, 0))
    made.append(("a comment copied between visits (2)", b, second, 0))
    if astana:
        morning = visit("travel1", a, almaty[0], 9, on=travel_day)
        # An hour later, 970 km away.
        noon = visit("travel2", a, astana[0], 10, 30, on=travel_day)
        made.append(("Almaty, then Astana within the hour (1)", a, morning, 0))
        made.append(("Almaty, then Astana within the hour (2)", a, noon, 0))
    for _, auditor, v, offset in made:
        author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=offset)
        await store_revisions(db, [v], author, tz)
    for sha256, data in stored.items():
        identity = await blobs.put(sha256, data)
        await db.write(blobs_store.record_blob, sha256, len(data), "image/jpeg", refresher(db, tz), identity)
    return [
        "demo: integrity flags to question: " + ", ".join(f"{what} ({v['submission_id']})" for what, _, v, _ in made)
    ]


def _case_id(case: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tekseru-demo-integrity/{case}"))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reencoded(jpeg: bytes) -> bytes:
    """The photo as a messenger would pass it on: 90 % of its size, saved again at a lower quality."""
    from PIL import Image

    image = Image.open(io.BytesIO(jpeg))
    smaller = image.resize((image.width * 9 // 10, image.height * 9 // 10))
    out = io.BytesIO()
    smaller.save(out, "JPEG", quality=65)
    return out.getvalue()


def _with_capture_time(jpeg: bytes, day: dt.date) -> bytes:
    """The photo with an EXIF capture time (DateTimeOriginal) at noon of `day`, as a camera writes it."""
    from PIL import Image

    image = Image.open(io.BytesIO(jpeg))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = f"{day:%Y:%m:%d} 12:00:00"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()
