# Kiosk panel texts in Arabic (Modern Standard Arabic); de.ftl is the reference.
# Same keys and placeholders as de.ftl. Formal address; the Latin number runs of the examples are
# isolated (U+2066 … U+2069) so that they read left to right inside the Arabic sentence.

page-title = صندوق الاستلام
keys-hint = للمساعدة: المفتاح F3. للقراءة الصوتية: المفتاح F1.
button-help = مساعدة
button-cancel = إلغاء
button-confirm = متابعة
button-delete = حذف
button-back = رجوع
keypad = لوحة الأرقام
display-modes = العرض
mode-contrast = تباين عالٍ
mode-large = خط كبير
status-region = تنبيهات

start-title = استلام بطاقة الهوية أو جواز السفر
start-lead = ستحتاج إلى رقم هاتفك المحمول، ورمز PIN الوارد في رسالة SMS، وبطاقة هويتك القديمة أو جواز سفرك القديم.
start-counter = يمكنك أيضًا استلام وثيقتك من الشباك في مكتب خدمات المواطنين.
start-language = اختيار اللغة
start-begin = بدء
start-keys = Enter: البدء باللغة الألمانية. الأرقام من 1 إلى 7: اختيار اللغة.

phone-title = رقم هاتفك المحمول
phone-prompt = يرجى إدخال رقم الهاتف المحمول الذي ذكرته عند تقديم الطلب.
phone-example = مثال: ⁦0151 2345678⁩ أو ⁦+49 151 2345678⁩
phone-plus = زائد

pin-title = رمز PIN من رسالة SMS
pin-prompt = يرجى إدخال رمز PIN الوارد في رسالة SMS.
pin-show = إظهار رمز PIN
pin-hide = إخفاء رمز PIN
pin-digits = عدد الأرقام المدخلة: { $count }

letter-title = هل استلمت رسالة الرقم السري؟
letter-prompt = ترافق بطاقة هويتك رسالة تحتوي على الرقم السري لوظيفة الهوية الإلكترونية. تُرسل الرسالة بالبريد بشكل منفصل.
letter-without = إذا لم تستلم الرسالة، يرجى الإلغاء واستلام بطاقة هويتك من الشباك.
letter-confirm = لقد استلمت رسالة الرقم السري

document-of = الوثيقة { $position } من { $of }: { $kind }
kind-id_card = بطاقة الهوية
kind-passport = جواز السفر
kind-child_passport = جواز سفر الطفل
kind-residence_permit = تصريح الإقامة

old-title = إدخال بطاقة الهوية القديمة أو جواز السفر القديم
old-prompt = يرجى إدخال بطاقة هويتك القديمة أو جواز سفرك القديم في الفتحة الموجودة على اليمين أسفل الشاشة. ستتم قراءة الوثيقة والاحتفاظ بها لإتلافها.
old-picture = صورة: الفتحة على اليمين أسفل الشاشة. يرجى إدخال الوثيقة والكتابة متجهة إلى الأعلى.
old-waiting = نحن بانتظار وثيقتك.
old-rejected = هذه الوثيقة غير مناسبة. يرجى سحبها من الفتحة.

birth-title = تاريخ ميلادك
birth-prompt = يرجى إدخال تاريخ ميلادك: اليوم والشهر والسنة، بالأرقام فقط.
birth-example = مثال: ⁦12081974⁩ لتاريخ ⁦12⁩ أغسطس ⁦1974⁩

collect-title = جارٍ فتح الخانة { $label }
collect-where = توجد في الوحدة { $module }: الصف { $row } من الأسفل، الخانة { $column } من اليسار.
collect-map = مخطط صندوق الاستلام مع تمييز الخانة المفتوحة
collect-take = يرجى أخذ وثيقتك وإغلاق الباب.
collect-reminder = يرجى إغلاق باب الخانة الآن.

done-title = شكرًا جزيلًا!
done-text = لقد استلمت وثيقتك. مع السلامة.
done-back = العودة إلى البداية

ended-title = انتهت عملية الاستلام
refused-title = الاستلام غير ممكن هنا حاليًا
ended-timeout = انتهى الوقت. يرجى البدء من جديد.
ended-locked = وثيقتك مقفلة. يمكنك استلامها من الشباك.
ended-too_many_attempts = عدد كبير جدًا من الإدخالات الخاطئة. يمكنك استلام وثيقتك من الشباك.
ended-cancelled = لقد ألغيت عملية الاستلام.
ended-failed = لم تُفتح الخانة. يرجى التوجه إلى الشباك. تم إبلاغ الموظفين.
ended-unavailable = لا يمكن تسليم وثيقتك هنا حاليًا. يرجى التوجه إلى الشباك.
ended-door_left_open = بقي باب الخانة مفتوحًا. تم إبلاغ الموظفين.
ended-interrupted = أُعيد تشغيل صندوق الاستلام. يرجى التوجه إلى الشباك.

error-phone_or_pin_wrong = رقم الهاتف المحمول أو رمز PIN غير صحيح. يرجى المحاولة مرة أخرى. بعد عدة محاولات خاطئة ستحصل على وثيقتك من الشباك.
error-invalid_phone = هذا ليس رقم هاتف محمول كاملًا. يرجى التحقق مما أدخلته.
error-invalid_pin = يرجى إدخال جميع أرقام رمز PIN.
error-invalid_birth_date = هذا ليس تاريخًا صالحًا. يرجى إدخال اليوم والشهر والسنة في 8 أرقام.
error-birth_date_wrong = تاريخ الميلاد غير صحيح. يرجى المحاولة مرة أخرى.
error-old_document_rejected = هذه الوثيقة لا تتوافق مع عملية الاستلام الخاصة بك. يرجى سحبها من الفتحة.
error-old_document_unreadable = تعذرت قراءة وثيقتك. يرجى إخراجها من الفتحة وإدخالها مرة أخرى بحيث يكون الوجه المكتوب إلى الأعلى.
error-locked = وثيقتك مقفلة. يمكنك استلامها من الشباك.
error-not_available = لا يمكن تسليم وثيقتك هنا الآن. يرجى التوجه إلى الشباك.
error-panel_cooling_down = عدد كبير جدًا من الإدخالات الخاطئة على هذا الجهاز. يرجى الانتظار دقيقة واحدة.
error-box_closed = صندوق الاستلام مغلق الآن. يرجى العودة خلال ساعات العمل.
error-box_out_of_order = صندوق الاستلام معطل حاليًا. يرجى التوجه إلى الشباك.
error-box_unavailable = لم تُفتح الخانة. يرجى التوجه إلى الشباك. تم إبلاغ الموظفين.
error-session_ended = انتهت عملية الاستلام بالفعل. يرجى البدء من جديد.
error-other = لم تنجح العملية. يرجى المحاولة مرة أخرى أو التوجه إلى الشباك.

timeout-title = هل ما زلت هنا؟
timeout-text = إذا لم يتم أي إدخال، فسيبدأ صندوق الاستلام من جديد. الثواني المتبقية: { $seconds }
timeout-extend = ما زلت هنا

help-title = مساعدة
help-no-pin = لم تصلك رسالة SMS، أو نسيت رمز PIN، أو ليس معك هاتف محمول؟ يمكنك عندئذٍ استلام وثيقتك من الشباك.
help-counter = الشباك: { $site }، { $address }
help-phone = الهاتف: { $phone }
help-hours = ساعات العمل: { $hours }
help-always-open = صندوق الاستلام مفتوح في جميع الأوقات.
help-call = استدعاء موظف
help-called = تم إبلاغ الموظفين، وسيأتي أحدهم إليك.
help-keys = المفاتيح: الأرقام من 0 إلى 9 للإدخال. Enter للتأكيد. مفتاح الحذف للخلف (Backspace) يحذف آخر رقم. Escape للإلغاء. F1 يشغّل القراءة الصوتية ويعيد قراءة الشاشة. F2 يوقفها. F3 يفتح هذه المساعدة.

speech-on = القراءة الصوتية مفعّلة.
speech-off = القراءة الصوتية متوقفة.
speech-typed = ما أدخلته: { $digits }
speech-deleted = تم الحذف.

unpaired-title = لوحة التشغيل هذه غير مُعدّة
unpaired-text = يرجى التوجه إلى الموظفين في مكتب خدمات المواطنين.
pair-title = ربط لوحة التشغيل
pair-text = للموظفين: يرجى إدخال رمز الكشك (Kiosk-Token) الخاص بلوحة التشغيل هذه. يبقى محفوظًا في هذا المتصفح فقط.
pair-token = رمز الكشك (Kiosk-Token)
pair-submit = ربط
pair-refused = هذا الرمز لا ينتمي إلى أي لوحة تشغيل.
