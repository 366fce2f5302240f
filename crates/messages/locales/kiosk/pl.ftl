# Kiosk panel texts in Polish; de.ftl is the reference.
# Same keys and placeholders as de.ftl. Formal or impersonal address.

page-title = Automat do odbioru dokumentów
keys-hint = Pomoc: klawisz F3. Odczyt głosowy: klawisz F1.
button-help = Pomoc
button-cancel = Anuluj
button-confirm = Dalej
button-delete = Usuń
button-back = Wstecz
keypad = Klawiatura numeryczna
display-modes = Wyświetlanie
mode-contrast = Wysoki kontrast
mode-large = Duża czcionka
status-region = Komunikaty

start-title = Odbiór dowodu osobistego lub paszportu
start-lead = Potrzebne są: numer telefonu komórkowego, PIN z SMS-a oraz stary dowód osobisty lub paszport.
start-counter = Dokument można też odebrać w okienku w biurze obsługi obywateli.
start-language = Wybór języka
start-begin = Start
start-keys = Enter: start po niemiecku. Cyfry od 1 do 7: wybór języka.

phone-title = Numer telefonu komórkowego
phone-prompt = Proszę wpisać numer telefonu komórkowego podany we wniosku.
phone-example = Na przykład 0151 2345678 lub +49 151 2345678
phone-plus = Plus

pin-title = PIN z SMS-a
pin-prompt = Proszę wpisać PIN z SMS-a.
pin-show = Pokaż PIN
pin-hide = Ukryj PIN
pin-digits = Wpisane cyfry: { $count }

letter-title = Czy otrzymano list z numerem PIN?
letter-prompt = Do dowodu osobistego należy list z numerem PIN do funkcji identyfikacji online. Jest wysyłany osobno pocztą.
letter-without = Bez listu z numerem PIN proszę anulować i odebrać dowód w okienku.
letter-confirm = Otrzymałem(-am) list z numerem PIN

document-of = Dokument { $position } z { $of }: { $kind }
kind-id_card = Dowód osobisty
kind-passport = Paszport
kind-child_passport = Paszport dziecięcy
kind-residence_permit = Dokument pobytowy

old-title = Proszę włożyć stary dowód osobisty lub paszport
old-prompt = Proszę włożyć stary dowód osobisty lub paszport do szczeliny po prawej stronie pod ekranem. Dokument zostanie odczytany i zatrzymany w celu zniszczenia.
old-picture = Rysunek: szczelina znajduje się po prawej stronie pod ekranem. Dokument należy włożyć napisem do góry.
old-waiting = Czekamy na dokument.
old-rejected = Ten dokument nie pasuje. Proszę wyjąć go ze szczeliny.

birth-title = Data urodzenia
birth-prompt = Proszę wpisać datę urodzenia: dzień, miesiąc i rok, tylko cyfry.
birth-title-holder = Data urodzenia posiadacza
birth-prompt-holder = Proszę wpisać datę urodzenia osoby, dla której jest ten dokument (przy paszporcie dziecka: dziecka): dzień, miesiąc i rok, tylko cyfry.
birth-example = Na przykład 12081974 dla 12 sierpnia 1974

collect-title = Skrytka { $label } otwiera się
collect-where = Znajduje się w module { $module }: rząd { $row } od dołu, skrytka { $column } od lewej.
collect-map = Plan automatu, otwarta skrytka jest zaznaczona
collect-take = Proszę wyjąć dokument i zamknąć drzwiczki.
collect-reminder = Proszę teraz zamknąć drzwiczki skrytki.

done-title = Dziękujemy!
done-text = Dokument został odebrany. Do widzenia.
done-back = Na początek

ended-title = Odbiór zakończony
refused-title = Odbiór nie jest teraz tutaj możliwy
ended-timeout = Czas minął. Proszę zacząć od nowa.
ended-locked = Dokument jest zablokowany. Można go odebrać w okienku.
ended-too_many_attempts = Zbyt wiele błędnych prób. Dokument można odebrać w okienku.
ended-cancelled = Odbiór został anulowany.
ended-failed = Skrytka się nie otworzyła. Proszę udać się do okienka. Personel został powiadomiony. Jeśli włożono stary dokument, proszę wyjąć go ze szczeliny.
ended-unavailable = Dokumentu nie można teraz wydać w tym miejscu. Proszę udać się do okienka. Jeśli włożono stary dokument, proszę wyjąć go ze szczeliny.
ended-door_left_open = Drzwiczki skrytki pozostały otwarte. Personel został powiadomiony.
ended-interrupted = Automat został ponownie uruchomiony. Proszę udać się do okienka.

error-phone_or_pin_wrong = Numer telefonu komórkowego lub PIN jest nieprawidłowy. Proszę spróbować ponownie. Po kilku błędnych próbach dokument zostanie wydany w okienku.
error-invalid_phone = To nie jest pełny numer telefonu komórkowego. Proszę sprawdzić wpisany numer.
error-invalid_pin = Proszę wpisać wszystkie cyfry PIN-u.
error-invalid_birth_date = To nie jest prawidłowa data. Proszę wpisać dzień, miesiąc i rok, razem 8 cyfr.
error-birth_date_wrong = Data urodzenia jest nieprawidłowa. Proszę spróbować ponownie.
error-old_document_rejected = Ten dokument nie pasuje do tego odbioru. Proszę wyjąć go ze szczeliny.
error-old_document_unreadable = Nie udało się odczytać dokumentu. Proszę wyjąć go ze szczeliny i włożyć ponownie, napisem do góry.
error-locked = Dokument jest zablokowany. Można go odebrać w okienku.
error-not_available = Dokumentu nie można teraz tutaj wydać. Proszę udać się do okienka. Jeśli włożono stary dokument, proszę wyjąć go ze szczeliny.
error-panel_cooling_down = Zbyt wiele błędnych prób na tym urządzeniu. Proszę chwilę odczekać i spróbować ponownie.
error-box_closed = Automat jest teraz zamknięty. Zapraszamy ponownie w godzinach otwarcia.
error-box_out_of_order = Automat jest chwilowo nieczynny. Proszę udać się do okienka.
error-box_unavailable = Skrytka się nie otworzyła. Proszę udać się do okienka. Personel został powiadomiony. Jeśli włożono stary dokument, proszę wyjąć go ze szczeliny.
error-session_ended = Odbiór został już zakończony. Proszę zacząć od nowa.
error-other = Nie udało się. Proszę spróbować ponownie lub udać się do okienka.

timeout-title = Czy jest Pan/Pani nadal przy automacie?
timeout-text = Bez wprowadzenia danych automat zacznie od nowa. Pozostało sekund: { $seconds }
timeout-extend = Nadal tu jestem

help-title = Pomoc
help-no-pin = Nie dotarł SMS, zapomniany PIN albo brak telefonu komórkowego przy sobie? W takim przypadku dokument można odebrać w okienku.
help-counter = Okienko: { $site }, { $address }
help-phone = Telefon: { $phone }
help-hours = Godziny otwarcia: { $hours }
help-always-open = Automat jest czynny przez całą dobę.
help-call = Wezwij personel
help-called = Personel został powiadomiony i zaraz podejdzie.
help-keys = Klawisze: cyfry od 0 do 9 służą do wpisywania. Enter zatwierdza. Klawisz Backspace (cofnij) usuwa ostatnią cyfrę. Escape przerywa. F1 włącza odczyt głosowy i powtarza zawartość ekranu. F2 go wyłącza. F3 otwiera tę pomoc.

speech-on = Odczyt głosowy jest włączony.
speech-off = Odczyt głosowy jest wyłączony.
speech-typed = Wpisano: { $digits }
speech-deleted = Usunięto.

unpaired-title = Ten panel obsługi nie jest skonfigurowany
unpaired-text = Proszę zwrócić się do personelu biura obsługi obywateli.
pair-title = Parowanie panelu obsługi
pair-text = Dla personelu: proszę wpisać token kiosku tego panelu obsługi. Zostanie on zapisany tylko w tej przeglądarce.
pair-token = Token kiosku
pair-submit = Sparuj
pair-refused = Ten token nie należy do żadnego panelu obsługi.
