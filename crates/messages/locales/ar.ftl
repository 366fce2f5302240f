date-format = %d.%m.%Y

document-id_card = بطاقة الهوية
document-passport = جواز السفر
document-child_passport = جواز سفر الطفل
document-residence_permit = تصريح الإقامة
old-document-id_card = هويتك القديمة
old-document-passport = جواز سفرك القديم
old-document-child_passport = جواز سفر الطفل القديم
old-document-residence_permit = تصريح إقامتك القديم

sms-ready = مستندك ({ $document }) جاهز في صندوق الاستلام { $site }، { $address }. PIN: { $pin }، آخر موعد { $deadline }. يرجى إحضار { $old_document }.
sms-ready-birth-date = مستندك ({ $document }) جاهز في صندوق الاستلام { $site }، { $address }. PIN: { $pin }، آخر موعد { $deadline }.
sms-ready-family = مستندك ({ $document }) جاهز أيضًا في صندوق الاستلام { $site }، { $address }. يسري آخر رمز PIN أُرسل إليك. آخر موعد { $deadline }.
sms-new-pin = رمز PIN جديد لمستندك ({ $document }) في صندوق الاستلام { $site }، { $address }: { $pin }. الرمز القديم لم يعد صالحًا. آخر موعد { $deadline }.
sms-new-pin-family = رمز PIN جديد لمستنداتك في صندوق الاستلام { $site }، { $address }: { $pin }. الرمز القديم لم يعد صالحًا. آخر موعد { $deadline }.
sms-reminder = تذكير: مستندك ({ $document }) لا يزال في صندوق الاستلام { $site }، { $address }. آخر موعد { $deadline }، برمز PIN من الرسالة.
sms-withdrawn = لم يتم استلام مستندك ({ $document })، وهو الآن بانتظارك عند الشباك: { $site }، { $address }.

kiosk-phone-or-pin-wrong = رقم الهاتف المحمول أو رقم PIN غير صحيح. بعد عدة محاولات خاطئة ستحصل على وثيقتك عند الشباك.
kiosk-locked = وثيقتك مقفلة. ستحصل عليها عند الشباك.

weekdays = الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد
sms-hours = أوقات العمل: { $hours }.
