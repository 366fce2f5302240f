date-format = %d.%m.%Y

document-id_card = بطاقة الهوية
document-passport = جواز السفر
document-child_passport = جواز سفر الطفل
document-residence_permit = تصريح الإقامة

sms-ready = مستندك ({ $document }) جاهز في صندوق الاستلام { $site }. PIN: { $pin } – آخر موعد للاستلام { $deadline }. يرجى إحضار هويتك القديمة.
sms-ready-birth-date = مستندك ({ $document }) جاهز في صندوق الاستلام { $site }. PIN: { $pin } – آخر موعد للاستلام { $deadline }.
sms-ready-family = مستندك ({ $document }) جاهز أيضًا في صندوق الاستلام { $site }. يسري رمز PIN من رسالتك الأولى. آخر موعد للاستلام { $deadline }.
