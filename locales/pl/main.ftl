# m2o-bot — polski. Każdy tekst, który czyta człowiek. Klucze są używane w src/ (tr.t("klucz"))
# i w dialogues/onboarding.toml (q-<pytanie>, q-<pytanie>-<opcja>). Test nie przejdzie, jeśli
# któregoś klucza brakuje w którymkolwiek języku albo żaden kod go już nie używa.

## Start, pomoc, anulowanie

welcome =
    👋 Witaj w Machine.Machine! Za kilka minut będziesz mieć własnego agenta AI na Telegramie.

    Najpierw: jaki jest Twój adres e-mail? Wyślemy na niego 6-cyfrowy kod, żeby go potwierdzić.
welcome-back-email = 👋 Witaj ponownie! Jaki jest Twój adres e-mail? Wyślemy na niego 6-cyfrowy kod, żeby go potwierdzić.
help =
    Pomagam założyć Twojego własnego agenta AI na Telegramie, w kilku krokach:
    1. Twój e-mail, potwierdzony kodem
    2. kilka pytań o to, czego potrzebujesz
    3. bot, którego utworzysz w @BotFather (pokażę jak)
    4. nazwa Twojego agenta

    /start — zacznij albo kontynuuj tam, gdzie skończyłeś
    /status — na jakim etapie jest Twoje zgłoszenie
    /cancel — przerwij na razie (postęp zostaje zapisany)
    /stop — koniec wiadomości od nas
    /forget — usuń swoje dane osobowe (najpierw pyta)
    Po pytaniach wszystko, co tu napiszesz, trafi do naszego zespołu.
idle-hint = Wyślij /start, żeby zacząć lub kontynuować, /status, żeby sprawdzić etap, albo /help.
cancel-done = OK, przerwane. Twój postęp jest zapisany: wyślij /start, kiedy zechcesz kontynuować.
cancel-nothing = Nie ma czego anulować. Wyślij /start, żeby zacząć.
tap-step-over = Ten krok jest już za nami.
answer-not-text = Odpowiedz, proszę, tekstem.
answer-use-buttons = Wybierz, proszę, jeden z przycisków.

## E-mail i kod

email-not-text = Wpisz, proszę, swój adres e-mail.
email-invalid = To nie wygląda na adres e-mail. Wyślij go w postaci imie@firma.pl.
email-taken = Ten adres ma już agenta albo zgłoszenie w toku. Użyj innego adresu albo napisz do nas, jeśli to pomyłka.
email-ask-again = OK, wyślij adres e-mail, którego mam użyć. (Jeśli kod wysłany na { $email } jednak dotrze, po prostu go tu wpisz.)
code-still-valid = Wpisz kod, który przed chwilą wysłałem na { $email }. Nowy mogę wysłać za { $seconds } s.
code-sent = 📧 Wysłałem 6-cyfrowy kod na { $email }. Wpisz go tutaj; jest ważny przez { $minutes } minut.
code-resume = 📧 Witaj ponownie! Wpisz 6-cyfrowy kod wysłany na { $email } albo poproś o nowy.
code-send-failed = Nie udało się teraz wysłać kodu. Spróbuj ponownie za minutę.
code-address-hourly-limit = W ciągu ostatniej godziny wysłaliśmy kilka kodów na { $email }. Odczekaj godzinę, zanim poprosisz o kolejny.
code-address-daily-limit = Dziś wysłaliśmy już zbyt wiele kodów na { $email }. Spróbuj ponownie jutro.
code-daily-limit = Dziś poprosiłeś już o { $count } kody — to dzienny limit. Spróbuj ponownie jutro.
code-wait = Poczekaj { $seconds } s, zanim poprosisz o nowy kod.
code-not-text = Wpisz, proszę, 6-cyfrowy kod z e-maila.
code-format = Kod ma 6 cyfr, np. 123456. Wpisz go tak, jak jest w e-mailu.
code-looks-like-email = To jest adres e-mail. Żeby użyć innego, stuknij „Zmień e-mail”.
code-none = Nie czeka na Ciebie żaden kod. Stuknij „Nowy kod”, a wyślę nowy.
code-wrong =
    { $left ->
        [one] Ten kod jest nieprawidłowy. Została Ci 1 próba.
        [few] Ten kod jest nieprawidłowy. Zostały Ci { $left } próby.
       *[other] Ten kod jest nieprawidłowy. Zostało Ci { $left } prób.
    }
code-locked = Zbyt wiele błędnych prób: ten kod już nie działa. Stuknij „Nowy kod”, żeby dostać kolejny.
code-expired = Ten kod wygasł. Stuknij „Nowy kod”, żeby dostać kolejny.
code-ok = ✅ E-mail potwierdzony. Kilka krótkich pytań, żebyśmy dobrali dla Ciebie właściwego agenta.
button-new-code = 🔁 Nowy kod
button-change-email = ✏️ Zmień e-mail
mail-code-subject = Twój kod: { $code }
mail-code-body =
    Twój jednorazowy kod to { $code }. Wygaśnie za { $minutes } minut.

    Jeśli to nie Ty o niego prosiłeś, zignoruj tę wiadomość.

## Kwalifikacja

q-use_case = Czym głównie będzie się zajmował Twój agent?
q-use_case-research = 🔎 Wyszukiwanie i analizy
q-use_case-content = ✍️ Teksty i treści
q-use_case-support = 💬 Obsługa klienta
q-use_case-sales = 📈 Sprzedaż i leady
q-use_case-dev = 🛠 Oprogramowanie i IT
q-use_case-general = 🤷 Wszystkiego po trochu
q-team_size = Kto będzie pracował z agentem?
q-team_size-solo = Tylko ja
q-team_size-small_team = Mały zespół (2-10)
q-team_size-company = Firma (10+)
q-referral = Masz kod polecający? Wpisz go albo stuknij „Pomiń”.
referral-unknown = Nie znam kodu { $code }. Sprawdź go i wpisz ponownie albo stuknij „Pomiń”.
button-skip = Pomiń
tz-ask = W jakiej strefie czasowej jesteś? Wybierz jedną albo wpisz jej nazwę, np. Europe/Warsaw.
tz-invalid = Nie znam tej strefy czasowej. Wyślij nazwę w rodzaju Europe/Warsaw albo America/New_York.
qualified = 🎉 Świetnie, wchodzisz! Teraz Twój agent potrzebuje własnego bota na Telegramie.
contact-track =
    Dziękujemy! Obecnie wdrażamy zespoły, których potrzeby najlepiej pasują do tego, co potrafią nasi agenci, więc na razie nie zakładamy dla Ciebie agenta.

    Zapisaliśmy Twoje dane i odezwiemy się. W każdej chwili możesz napisać tutaj do zespołu; /status pokaże, na jakim jesteś etapie.

## Twój bot

token-instructions =
    🤖 Utwórz swojego bota w @BotFather:
    1. Otwórz @BotFather i wyślij /newbot
    2. Wybierz nazwę wyświetlaną, a potem nazwę użytkownika kończącą się na „bot”
    3. BotFather odpowie wiadomością z tokenem Twojego bota

    Przekaż mi tę wiadomość (albo wklej sam token). Sprawdzę go, a potem usunę z tego czatu, żeby Twój token pozostał prywatny.
token-not-text = Przekaż, proszę, wiadomość od BotFathera albo wklej token jako tekst.
token-not-from-botfather = Ta wiadomość nie została przekazana od @BotFather. Przekaż oryginalną wiadomość BotFathera albo wklej sam token.
token-malformed = Ten token wygląda na niekompletny. Przekaż ponownie wiadomość BotFathera albo wklej cały token (cyfry, dwukropek i 35 znaków).
token-not-found = Nie znalazłem tu tokenu bota. Przekaż wiadomość BotFathera z tokenem albo wklej sam token.
token-invalid = Ten token nie działa: Telegram twierdzi, że jest nieprawidłowy. Sprawdź go i wyślij ponownie.
token-unreachable = Nie udało mi się połączyć z Telegramem, żeby sprawdzić token. Spróbuj ponownie za minutę.
token-taken = Ten bot jest już zarejestrowany przez innego klienta. Utwórz nowego bota w @BotFather i wyślij jego token.
token-daily-limit = Dziś wypróbowałeś już { $count } tokeny — to dzienny limit. Spróbuj ponownie jutro.
token-ok = ✅ Twój bot @{ $bot } jest podłączony. Usunąłem Twoją wiadomość z tokenem.

## Nazwa i potwierdzenie

name-ask = Jak ma się nazywać Twój agent? Użyj od 3 do 20 małych liter, cyfr lub myślników, np. acme-helper.
button-use-name = Użyj { $name }
name-length = Nazwa musi mieć od 3 do 20 znaków.
name-characters = Używaj tylko małych liter a-z, cyfr i myślników.
name-hyphen = Nazwa nie może zaczynać się ani kończyć myślnikiem.
name-reserved = „{ $name }” jest zarezerwowana. Wybierz inną nazwę.
name-taken = „{ $name }” jest już zajęta. Może { $suggestion }? Stuknij ją albo wpisz inną nazwę.
name-taken-no-suggestion = „{ $name }” jest już zajęta. Wpisz inną nazwę.
confirm-summary =
    Sprawdź, proszę, swoje zgłoszenie:

    E-mail: { $email }
    Bot: @{ $bot }
    Strefa czasowa: { $timezone }
    Nazwa agenta: { $name }
button-confirm = ✅ Potwierdzam
button-change-name = ✏️ Zmień nazwę
button-cancel = ✖ Anuluj
request-pending = 📨 Zgłoszenie wysłane! Twój agent { $name } czeka na krótką weryfikację. Napiszę tutaj, gdy tylko zostanie zatwierdzony.
request-waitlisted = ⏳ Obecnie mamy komplet, więc Twój agent { $name } trafił na listę oczekujących. Napiszę tutaj, gdy tylko zwolni się miejsce.

## Status

status-none = Jeszcze nie zacząłeś. Wyślij /start, żeby zacząć.
status-email-pending = Czekam na potwierdzenie Twojego e-maila ({ $email }). Wyślij /start, żeby kontynuować.
status-qualifying = Odpowiadasz na kilka pytań. Wyślij /start, żeby kontynuować.
status-qualified = Następny krok: podłącz swojego bota z @BotFather. Wyślij /start, żeby kontynuować.
status-contact-track = Mamy Twoje dane ({ $email }) i odezwiemy się. Pisz tutaj w dowolnej chwili: zespół to czyta.
status-token-validated = Następny krok: wybierz nazwę agenta. Wyślij /start, żeby kontynuować.
status-pending-review = Twój agent { $name } czeka na weryfikację. Napiszę tutaj, gdy zostanie zatwierdzony; /cancel wycofuje zgłoszenie.
status-waitlisted = Twój agent { $name } jest na liście oczekujących. Napiszę tutaj, gdy zwolni się miejsce.
status-provisioning = Twój agent { $name } jest właśnie uruchamiany.
status-live = Twój agent { $name } działa.
status-degraded = Twój agent { $name } ma problem; już się tym zajmujemy.
status-churned = Twój agent został wyłączony. Napisz tutaj, jeśli chcesz go przywrócić: zespół to czyta.
status-rejected = Tym razem nie mogliśmy zatwierdzić Twojego zgłoszenia. Napisz tutaj, jeśli masz pytania: zespół to czyta.

## Dla masterów

master-request-pending =
    🆕 Zgłoszenie agenta #{ $id } — czeka na weryfikację
    Nazwa: { $name }
    E-mail: { $email }
    Bot: @{ $bot }
    Strefa czasowa: { $timezone }
    Wynik: { $score }
master-request-waitlisted =
    ⏳ Zgłoszenie agenta #{ $id } — lista oczekujących (brak miejsc)
    Nazwa: { $name }
    E-mail: { $email }
    Bot: @{ $bot }
    Strefa czasowa: { $timezone }
    Wynik: { $score }

## Decyzje, uruchamianie, start agenta (strona klienta)

request-approved = ✅ Zatwierdzone! Właśnie uruchamiam Twojego agenta { $name } i będę informować o postępach tutaj.
request-rejected = Przykro nam: tym razem nie mogliśmy zatwierdzić Twojego zgłoszenia. Napisz tutaj, jeśli masz pytania.
request-rejected-reason = {" "}Powód: { $reason }
progress-client = ⚙️ Uruchamiam Twojego agenta { $name }: krok { $step } z { $total }…
progress-client-done = ⚡ Twój agent { $name } działa!
progress-client-failed = ⚠️ Przy uruchamianiu agenta { $name } pojawił się problem. Już o nim wiemy i go naprawimy; nie musisz nic robić.
live-greeting = ⚡ Twój agent { $name } działa. Przywitaj się!
live-press-start = ⚡ Twój agent { $name } jest gotowy! Otwórz t.me/{ $bot } i naciśnij Start, a potem wróć i stuknij „Gotowe”, żeby mógł się przywitać.
button-done = ✅ Gotowe
live-greeted = Twój agent właśnie przywitał się w swoim czacie.
live-still-not-started = Jeszcze nie: otwórz t.me/{ $bot }, naciśnij Start, a potem stuknij „Gotowe” ponownie.
qualified-by-master = 🎉 Dobra wiadomość: jednak chcemy uruchomić dla Ciebie agenta! Następny krok to Twój własny bot na Telegramie.
tap-not-allowed = Tylko masterzy floty mogą to zrobić.
agent-destroyed = Twój agent { $name } został wyłączony. Napisz tutaj, jeśli chcesz go przywrócić.
mail-welcome-subject = Twój agent { $name } działa
mail-welcome-body =
    Twój agent { $name } działa na Telegramie: { $link }

    Otwórz go i przywitaj się.

## Dla masterów

button-approve = ✅ Zatwierdź
button-reject = ❌ Odrzuć
button-destroy = 🗑 Usuń { $name }
master-help =
    Polecenia mastera (bez argumentu każde pokazuje listę do wyboru):
    /start — panel główny: co na Ciebie czeka, z przyciskiem do każdego widoku
    /spawn <nazwa> <token> — uruchom agenta dla floty
    /approve [id] — zatwierdź oczekujące zgłoszenie
    /reject [id] [powód] — odrzuć je (pyta; klient przeczyta powód)
    /qualify [id albo e-mail] — przesuń leada z contact track dalej
    /lead [id albo e-mail] — jedna osoba: kto, jej wiadomości, co możesz zrobić
    /leads [pending|qualified|contact_track|waitlisted] — leady z przyciskami
    /fleet — wszyscy agenci i ich stan
    /agent [nazwa] — jeden agent, z [🔑 Nowy token] [🗑 Usuń] [👤 Właściciel]
    /destroy [nazwa] — usuń agenta (najpierw pyta)
    /brief — poranny brief teraz (w spokojny dzień: flota i informacja, że brief zostanie pominięty)
    /token [nazwa] — nowy token API dla agenta (najpierw pyta; pokazany raz)
    Żeby odpowiedzieć klientowi: odpowiedz na jego wiadomość albo stuknij ↩️ Odpowiedz.
master-approved = ✅ Zgłoszenie #{ $id } zatwierdzone: uruchamianie rozpoczęte.
master-rejected = ❌ Zgłoszenie #{ $id } odrzucone; klient został poinformowany.
master-usage-approve = Użycie: /approve <id zgłoszenia>, np. /approve 12
master-usage-reject = Użycie: /reject <id zgłoszenia> [powód]
master-usage-spawn = Użycie: /spawn <nazwa> <token>, np. /spawn peter 7890123456:AAH… (usuwam wiadomość z tokenem).
master-usage-leads = Użycie: /leads [pending|qualified|contact_track|waitlisted]
master-not-contact-track = { $email } nie jest na contact track: stan to „{ $state }”.
master-qualified = ✅ { $email } zakwalifikowany; dostał wiadomość w swoim czacie i kontynuuje od kroku z botem.
master-no-leads = Brak leadów w stanie { $state }.
master-leads-title = Leady { $state } ({ $count }):
master-leads-more = {"\u000A"}… i jeszcze { $count }.
master-fleet-empty = Flota nie ma jeszcze agentów. /spawn <nazwa> <token> tworzy pierwszego.
master-no-such-agent = Nie ma agenta o nazwie { $name }.
master-destroy-ask = Usunąć { $name } (właściciel: { $owner })? Jego wdrożenie zostanie usunięte, a właściciel poinformowany. Tego nie da się cofnąć.
master-destroy-failed = Nie udało się usunąć wdrożenia { $name }: { $error }. Nic nie zmieniono; spróbuj ponownie.
master-destroyed = 🗑 { $name } został usunięty.
master-retrying = 🔁 Ponawiam.
master-name-taken = Nazwa { $name } jest zajęta.
master-spawning = 🚀 Uruchamiam { $name } (@{ $bot }). Wiadomość z postępem zaraz się pojawi.
master-agent-online = ⚡ { $name } działa
master-decided-approved = ✅ Zatwierdzone przez { $by } o { $time }
master-decided-rejected = ❌ Odrzucone przez { $by } o { $time } (powód: { $reason })
master-job-failed =
    ❌ Uruchamianie { $name } nie powiodło się w kroku { $step } ({ $label }):
    { $error }
button-retry = 🔁 Ponów
button-qualify = ⬆️ Zakwalifikuj #{ $id }
master-fleet-counts = { $green } 🟢 online · { $yellow } 🟡 w konfiguracji lub milczy · { $red } 🔴 błąd lub problem
master-agent-view =
    { $emoji } { $name } — { $state }
    Właściciel: { $owner }
    Bot: @{ $bot }
    Provisioner: { $provisioner } (aplikacja { $app })
    Utworzony: { $created }
    Ostatnie zdarzenie: { $event }
master-lead-line = #{ $id } { $email } — wynik { $score } — { $age }{ $name }
master-new-lead = 📋 Nowy lead na contact track: { $who }
progress-owner = 👤 { $who } · zatwierdził(a) { $by }
progress-running = ⚙️ Uruchamiam { $name } ({ $provisioner })
progress-done = ⚡ { $name } działa ({ $provisioner })
progress-failed = ❌ Uruchamianie { $name } nie powiodło się ({ $provisioner })
progress-dry-run = TRYB PRÓBNY: nic nie jest wdrażane; kroki są tylko zapisywane.
progress-retrying = ponawiam: { $error }
progress-error = Błąd: { $error }
step-check-name = sprawdzenie, czy nazwa jest wolna
step-guacamole = wstępna rejestracja pulpitu w Guacamole
step-create-app = utworzenie aplikacji
step-set-env = ustawienie zmiennych środowiskowych
step-deploy = wdrożenie
step-register = dodanie do rejestru
step-wait-live = oczekiwanie na zakończenie wdrożenia
progress-deployed = 📦 { $name } wdrożony ({ $provisioner }); czekam, aż zgłosi gotowość
progress-client-deployed = 📦 Twój agent { $name } właśnie się uruchamia…

## Eskalacje i akcje (§7.5, §7.2)

escalation-notice =
    🆘 { $agent } utknął (#{ $id })
    Robi: { $doing }
    Próbował: { $tried }
    Potrzebuje: { $need }
    Proponowana poprawka: { $fix }
escalation-notice-urgent =
    🚨 PILNE — { $agent } utknął (#{ $id })
    Robi: { $doing }
    Próbował: { $tried }
    Potrzebuje: { $need }
    Proponowana poprawka: { $fix }
escalation-tried-nothing = (nic nie podano)
escalation-no-fix = (brak propozycji: zdecyduj albo stuknij „Zmień”, żeby napisać)
button-approve-fix = ✅ Zatwierdź poprawkę
button-skip-escalation = ❌ Pomiń
button-modify = 🔄 Zmień
escalation-ruled-approve = ✅ poprawka zatwierdzona
escalation-ruled-skip = ❌ pominięte
escalation-ruled-modify = 🔄 zmienione: „{ $note }”
escalation-ruled = { $what } — przez { $by } o { $time }
escalation-ask-note = ✍️ Wyślij polecenie dla #{ $id } (co { $agent } ma zrobić zamiast tego) jako następną wiadomość.
escalation-waiting-note = Czekam na Twój tekst.
escalation-note-not-text = Wyślij polecenie jako tekst.
escalation-sent = Wysłane do { $agent }.
action-notice =
    { $emoji } { $agent } prosi o: { $action } (#{ $id })
    { $summary }
action-decided-rejected = ❌ Odrzucone przez { $by } o { $time }

## Brief (§7.3) i wiadomości tygodniowe

brief-title = ☀️ Poranny brief — { $date }
brief-needs-you = CZEKA NA CIEBIE ({ $count }):
brief-needs-you-cont = CZEKA NA CIEBIE (cd.):
brief-happening = W TOKU:
brief-happening-cont = W TOKU (cd.):
brief-shipped = ZROBIONE WCZORAJ:
brief-shipped-cont = ZROBIONE WCZORAJ (cd.):
brief-blocked = ZABLOKOWANE:
brief-blocked-cont = ZABLOKOWANE (cd.):
brief-more = …i jeszcze { $count }
brief-need-request = { $name } — { $email } (wynik { $score })
brief-need-escalation = { $agent } utknął: { $need } → propozycja: { $fix }
brief-need-action = { $agent } prosi o { $action }: { $summary }
brief-shipped-live = { $name } działa
brief-shipped-approved = { $name } zatwierdzony przez { $by }
brief-shipped-rejected = { $name } odrzucony przez { $by }
brief-shipped-escalation = { $agent } odblokowany: { $need }
brief-blocked-job = uruchamianie { $name } nie powiodło się w kroku { $step }: { $error }
brief-fix-job = usuń przyczynę, a potem stuknij 🔁 Ponów w wiadomości o błędzie
brief-blocked-silent = { $name } jest wdrożony, ale od 30 minut nie zgłosił gotowości
brief-fix-silent = sprawdź logi kontenera w Coolify (aplikacja { $app }); musi wysłać POST /v1/agents/<nazwa>/online
brief-blocked-revoked = { $name }: token unieważniony
brief-fix-revoked = poproś { $owner } o nowy token (wie jak)
digest-title = 📋 Leady z contact track w tym tygodniu ({ $count }); jedno stuknięcie kwalifikuje:
review =
    📊 Podsumowanie tygodnia
    Działający agenci: { $live } (nowe w tym tygodniu: { $new })
    Leady: czeka na weryfikację { $pending } · zakwalifikowane { $qualified } · contact track { $track } · lista oczekujących { $waitlisted }
    Rozstrzygnięte eskalacje: { $decided } (mediana czasu do decyzji { $median })
master-token-rotated =
    🔑 Nowy token API dla { $name } (pokazany raz; stary już nie działa):
    { $token }
    Ustaw go jako M2O_AGENT_TOKEN w środowisku agenta.

## Kontrola zdrowia, nowy token, nurture

health-token-revoked = ⚠️ Twój agent { $name } nie może już używać bota @{ $bot }: token został unieważniony. Otwórz @BotFather, wyślij /token, wybierz @{ $bot } i przekaż tutaj nowy token.
new-token-other-bot = Ten token należy do innego bota. Wyślij nowy token dla @{ $bot }.
new-token-ok = ✅ Mam nowy token. Twój agent uruchamia się z nim ponownie; dam znać, gdy wróci.
stop-done = OK: nie wyślemy więcej wiadomości. Wyślij /start w dowolnej chwili, jeśli zmienisz zdanie.
nurture-1 = 👋 Dziękujemy za zainteresowanie Machine.Machine! Agent przejmuje za Ciebie wyszukiwanie informacji, pisanie, obsługę klienta lub pracę IT przez całą dobę. Odpisz tutaj, co oddałbyś mu najpierw; /stop kończy te wiadomości.
nurture-1-subject = Co oddałbyś agentowi AI?
nurture-3 = 💡 Zespoły używają agenta do codziennych briefów, pierwszych wersji tekstów i odpowiedzi klientom. Jeśli coś z tego pasuje, napisz tutaj, a sprawdzimy, czy możemy uruchomić Cię wcześniej. /stop kończy te wiadomości.
nurture-3-subject = Trzy rzeczy, które agenci robią codziennie
nurture-7 = 📬 Ostatnia wiadomość od nas: co tydzień przeglądamy zgłoszenia osób, z którymi jesteśmy w kontakcie. Jeśli Twoje potrzeby się zmieniły (zespół, konkretne zastosowanie), odpisz tutaj: przekażemy to zespołowi. /stop kończy te wiadomości.
nurture-7-subject = Nadal chcesz mieć własnego agenta?
nurture-email-footer = Dostajesz tę wiadomość, bo pytałeś o agenta w Machine.Machine. Wyślij /stop do naszego bota na Telegramie, żeby zatrzymać te wiadomości.
brief-fleet = Fleet: { $agents }
master-outbox-parked = ⚠️ Nie udało się dostarczyć: { $what } — odmowa ({ $why }). Odłożone, nie będzie ponawiane.

## Kim jest dana osoba, dla masterów (fleet::people)

who = #{ $id } { $name }{ $email } · { $state } · wynik { $score }
score-base = baza
score-company-email = firmowy e-mail
score-none = jeszcze bez wyniku
score-changed = { $score } (liczony według wcześniejszej tabeli; dziś: { $now })
state-email-pending = czeka na kod z e-maila
state-email-verified = e-mail potwierdzony
state-qualifying = odpowiada na pytania
state-qualified = zakwalifikowany, podłącza bota
state-contact-track = na contact track
state-token-validated = bot podłączony, wybiera nazwę
state-name-chosen = nazwa wybrana, potwierdza
state-pending-review = czeka na decyzję
state-waitlisted = na liście oczekujących
state-provisioning = w trakcie konfiguracji
state-live = działa
state-active = aktywny
state-degraded = działa, z problemem
state-churned = wyłączony
state-rejected = odrzucony

## Dwustronna linia między klientami a masterami (fleet::line, bot::line)

line-card =
    💬 Wiadomość od { $who }
    Odpowiedz na tę wiadomość albo stuknij ↩️ Odpowiedz.
button-reply = ↩️ Odpowiedz
line-answered = ↩️ { $by }: { $text }
line-from-team =
    💬 Od zespołu:

    { $text }

    Możesz odpowiedzieć tutaj.
line-text-only = Mogę przekazać tylko tekst. Napisz, proszę, swoją wiadomość.
line-token-removed = To wyglądało na token bota, więc usunąłem wiadomość i niczego nie przekazałem. Nie wysyłaj tu tokenów, chyba że o nie poproszę.
line-sent = ✉️ Przekazane zespołowi. Odpowiedź przyjdzie tutaj.
line-held = ✉️ Zapisane. Napisałeś dziś sporo, więc zespół przeczyta resztę dzisiejszych wiadomości w historii, a nie pojedynczo.
line-reply-ask = ✍️ Napisz odpowiedź dla { $who }. Bot ją przekaże; /cancel rezygnuje.
line-reply-waiting = Czekam na Twoją odpowiedź…
line-answer-sent = ✉️ Wysłane do { $email }.
master-idle-hint = Żeby odpowiedzieć klientowi, odpowiedz na jego wiadomość (przesuń ją w lewo) albo stuknij ↩️ Odpowiedz pod nią. /start pokazuje panel główny, /help polecenia.
master-cancel-done = OK, porzucone.

## Panel główny mastera, nieznane polecenia, utknięci klienci (bot::home)

home =
    🏠 Twoja flota
    🆕 Zgłoszenia czekające na Ciebie: { $pending } (na liście oczekujących: { $waitlisted })
    🆘 Otwarte eskalacje: { $escalations }
    🤖 Agenci: { $green } 🟢 · { $yellow } 🟡 · { $red } 🔴
    📋 Leady: { $track } na contact track · { $stalled } utknęło w połowie
home-requests = 🆕 Zgłoszenia ({ $count })
home-escalations = 🆘 Eskalacje ({ $count })
home-fleet = 🤖 Flota ({ $count })
home-track = 📋 Contact track ({ $count })
home-stalled = ⏸ Utknięci ({ $count })
unknown-command-closest = Nie znam { $typed } — czy chodziło o { $known }?
unknown-command = Nie znam { $typed }. /help pokazuje polecenia.
master-no-escalations = Nie ma otwartych eskalacji.
master-escalation-line = 🆘 #{ $id } { $agent } potrzebuje: { $need }
master-no-stalled = Nikt nie utknął w połowie.
master-stalled-title = ⏸ Utknęli w połowie od 2 dni lub dłużej ({ $count }):
master-stalled-line = #{ $id } { $email } — { $state } — { $days } d
button-nudge = 🔔 Przypomnij #{ $id }
master-nudged = 🔔 Przypomniano { $email }.
master-nudge-already = Już raz przypomnieliśmy: to wystarczy.
master-nudge-stopped = Wysłali /stop: nie piszemy do nich więcej.
master-nudge-moved-on = Poszli już dalej: przypomnienie niepotrzebne.
nudge = 👋 Zacząłeś u nas konfigurować własnego agenta AI i zatrzymałeś się w połowie. Wyślij /start, żeby wrócić dokładnie tam, gdzie skończyłeś (to zajmie minutę), albo napisz tutaj, jeśli coś stanęło na przeszkodzie. /stop kończy te wiadomości.

## Decyzja o zgłoszeniu na czacie (bot::decide)

decide-not-found = Nie ma zgłoszenia #{ $id }.
decide-not-pending = Zgłoszenie #{ $id } nie czeka na decyzję: stan to „{ $state }”.
decide-already-approved = Zgłoszenie #{ $id } zostało już zatwierdzone przez { $by } o { $at }.
decide-already-rejected = Zgłoszenie #{ $id } zostało już odrzucone przez { $by } o { $at }.
decide-name-taken = Nazwa agenta { $name } jest zajęta przez innego agenta.
master-rejected-reason = ❌ Zgłoszenie #{ $id } odrzucone; klient dostał wiadomość z Twoim powodem.
button-reject-now = ❌ Odrzuć bez powodu
button-keep-waiting = ↩️ Niech czeka
reject-ask =
    ❌ Odrzucić { $who }?
    Napisz powód, który przeczyta klient, albo stuknij poniżej.
reject-waiting = Napisz powód albo stuknij przycisk.
reject-kept = Zgłoszenie #{ $id } nadal czeka.
reject-reason-not-text = Napisz powód tekstem albo stuknij przycisk powyżej.
pick-no-requests = Żadne zgłoszenie nie czeka na decyzję.
pick-approve = Które zgłoszenie zatwierdzasz?
pick-reject = Które zgłoszenie odrzucasz? (Zapytam o powód.)

## Wycofanie czekającego zgłoszenia i karty zgłoszeń po decyzji

master-request-decided = 🆕 Zgłoszenie agenta #{ $id } — { $state }
master-decided-withdrawn = ↩️ Wycofane przez klienta o { $time }
request-withdrawn = Twoje zgłoszenie jest wycofane: niczego nie skonfigurujemy, a zespół dostał informację. Napisz tutaj, jeśli chcesz z nim porozmawiać.
status-withdrawn = Wycofałeś swoje zgłoszenie. Napisz tutaj, jeśli chcesz porozmawiać z zespołem.
withdraw-ask = Twój agent { $name } czeka na decyzję zespołu. Wycofać zgłoszenie? Zespół dostanie informację, a nazwa zostanie zwolniona.
button-withdraw = ↩️ Wycofaj zgłoszenie
button-keep-request = Niech czeka

## One status vocabulary for agents (domain::agent::Status)

status-legend = 🟢 online (sygnał w ostatnich 30 min) · 🟡 w konfiguracji albo milczy · 🔴 konfiguracja nieudana albo problem · ⚫ usunięty
agent-status-online = online
agent-status-silent = milczy (brak sygnału od 30 min)
agent-status-setting-up = w konfiguracji
agent-status-setup-failed = konfiguracja nieudana
agent-status-degraded = działa z problemem
agent-status-destroyed = usunięty

## Karty i listy wyboru (bot::cards)

pick-agent = Który agent?
pick-destroy = Którego agenta usuwasz? (Poproszę o potwierdzenie.)
pick-token = Który agent dostaje nowy token API? (Poproszę o potwierdzenie.)
pick-lead = Kto? (najnowsi na górze; /lead <id albo e-mail> znajdzie każdego)
pick-no-leads = Nikt jeszcze nie zaczął.
pick-qualify = Którego leada z contact track przesuwasz dalej?
pick-no-track = Nikogo nie ma na contact track.
confirm-below = Potwierdź poniżej.
button-new-token = 🔑 Nowy token
button-destroy-ask = 🗑 Usuń
button-owner = 👤 Właściciel
button-rotate-now = 🔑 Wymień teraz
token-ask = 🔑 Nowy token API dla { $name }? Obecny token przestaje działać od razu: następny sygnał agenta dostanie 401, dopóki nie dostanie nowego.
token-rotated-toast = Nowy token poniżej.
master-no-such-person = Nie znam nikogo jako { $who } (spróbuj id, np. 12, albo e-maila).
lead-card =
    👤 { $who }
    Od { $created } · ostatni krok { $updated }
    Bot: { $bot } · strefa: { $timezone }
brief-quiet =
    Nic na Ciebie nie czeka i nic nie jest zablokowane, więc brief o { $time } zostanie pominięty.

    { $fleet }

## Link buttons

button-open-botfather = 🤖 Otwórz @BotFather
button-open-bot = 💬 Otwórz @{ $bot }

## /forget (fleet::privacy)

forget-ask = Usunąć Twoje dane osobowe? Twój e-mail, odpowiedzi, token bota i nasza rozmowa zostaną trwale usunięte; zostanie tylko anonimowy zapis, że to nastąpiło. W każdej chwili możesz zacząć od nowa przez /start.
button-forget = 🗑 Usuń moje dane
button-keep = Zostaw
nothing-changed = Nic się nie zmieniło.
forget-done = 🗑 Gotowe: Twoje dane osobowe są usunięte.
forget-nothing = Nie mamy żadnych Twoich danych osobowych.
forget-withdraw-first = Masz u nas zgłoszenie albo agenta. Żeby usunąć dane, najpierw wycofaj zgłoszenie przez /cancel, a w przypadku działającego agenta napisz tutaj: zespół go wyłączy i usunie wszystko.

## Tworzenie bota jednym stuknięciem (Bot Management Mode; bot::token, bot::managed)

one-tap-offer = 🤖 Najszybciej: stuknij „Utwórz mojego bota” poniżej. Telegram utworzy bota jednym stuknięciem, a ja go podłączę. (Albo zrób to ręcznie w @BotFather, jak opisuję dalej.)
button-create-bot = 🤖 Utwórz mojego bota
one-tap-suggested-name = Agent { $name }
one-tap-created = 🤖 Mam Twojego nowego bota.
token-ok-one-tap = ✅ Twój bot @{ $bot } jest podłączony.
health-token-healed = 🔑 Token bota @{ $bot } przestał działać, więc daliśmy agentowi { $name } nowy i uruchomiliśmy go ponownie. Nic nie musisz robić.
managed-owner-changed = 👤 Właściciel @{ $bot } (agent { $name }) zmienił się w Telegramie: teraz to użytkownik { $user }. Agent działa dalej; sprawdź, czy tak miało być.

## Etapy lejka onboardingu (panel floty, cotygodniowe obrazki).
funnel-started = rozpoczęli
funnel-email-confirmed = e-mail potwierdzony
funnel-qualified = zakwalifikowani
funnel-contact-track = ścieżka kontaktowa
funnel-bot-connected = bot podłączony
funnel-confirmed = potwierdzili
funnel-live = działa
button-open-panel = 📊 Otwórz panel
menu-panel = Panel
funnel-caption = 📊 Lejek onboardingu, tydzień od { $week } (i 7 tygodni wcześniej):
