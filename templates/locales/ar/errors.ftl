# نص `message` في أخطاء الواجهة البرمجية (API)، باللغة العربية. الرمز الوارد في
# `extensions.code` هو ما تقرؤه البرامج؛ أما هذه النصوص فموجّهة إلى الأشخاص.

## تسجيل الدخول والجلسات

error-unauthenticated = يُرجى تسجيل الدخول للمتابعة.
error-forbidden = غير مسموح لك بالقيام بهذا الإجراء.
error-email-not-verified = يُرجى تأكيد عنوان بريدك الإلكتروني أولًا: افتح الرابط الذي أرسلناه إليك.
error-internal = حدث خطأ من جهتنا. يُرجى المحاولة مرة أخرى.
error-invalid-credentials = اسم المستخدم أو البريد الإلكتروني أو كلمة المرور غير صحيحة.
error-account-locked = عدد كبير جدًا من محاولات تسجيل الدخول الفاشلة. يُرجى المحاولة مرة أخرى لاحقًا.
error-rate-limited = عدد كبير جدًا من الطلبات. يُرجى الانتظار قليلًا ثم المحاولة مرة أخرى.
error-account-disabled = هذا الحساب معطَّل.
error-invalid-token = هذا الرمز المميَّز غير صالح أو منتهي الصلاحية أو سبق استخدامه.
error-token-reused = سبق استخدام رمز التحديث المميَّز هذا، لذا أُنهيت الجلسة حفاظًا على الأمان.
error-not-found = غير موجود.
# $minutes: المدة القصوى التي يُعفى خلالها تسجيل دخول حديث من طلب كلمة المرور.
error-reauthenticate = يُرجى إدخال كلمة مرورك للمتابعة: مضى على تسجيل الدخول في هذه الجلسة أكثر من { $minutes ->
    [zero] { $minutes } دقيقة
    [one] دقيقة واحدة
    [two] دقيقتين
    [few] { $minutes } دقائق
    [many] { $minutes } دقيقة
   *[other] { $minutes } دقيقة
}.

## كلمات المرور

error-weak-password = يُرجى اختيار كلمة مرور أقوى.
error-password-mismatch = كلمتا المرور غير متطابقتين.
# $max: عدد من البايتات.
error-password-too-long = لا يمكن أن يتجاوز طول كلمة المرور { $max ->
    [zero] { $max } بايت
    [one] بايتًا واحدًا
    [two] بايتين
    [few] { $max } بايتات
    [many] { $max } بايتًا
   *[other] { $max } بايت
}.
# أسباب الخطأ WEAK_PASSWORD كما تعرضها الصفحات.
weak-password-too-short = كلمة المرور قصيرة جدًا: يُرجى استخدام { $min ->
    [zero] { $min } حرف
    [one] حرف واحد
    [two] حرفين
    [few] { $min } أحرف
    [many] { $min } حرفًا
   *[other] { $min } حرف
} على الأقل.
weak-password-too-long = كلمة المرور طويلة جدًا.
weak-password-similar-to-username = تتضمّن كلمة المرور اسم المستخدم الخاص بك.
weak-password-similar-to-email = تتضمّن كلمة المرور عنوان بريدك الإلكتروني.
weak-password-too-common = كلمة المرور شائعة جدًا، أو يسهل تخمينها كثيرًا.

## التحقق بخطوتين ومفاتيح المرور

error-mfa-required = يُرجى إدخال الرمز الظاهر في تطبيق المصادقة الخاص بك، أو رمز استرداد.
error-invalid-code = هذا الرمز غير صحيح أو سبق استخدامه.
error-totp-already-enabled = التحقق بخطوتين مفعَّل مسبقًا. يُرجى تعطيله أولًا لإعداد تطبيق مصادقة آخر.
error-totp-not-enrolling = يُرجى البدء أولًا بإعداد التحقق بخطوتين (startTotpEnrollment).
error-totp-not-enabled = التحقق بخطوتين غير مفعَّل.
error-totp-code-mismatch = هذا الرمز غير مطابق. يُرجى التحقق من ضبط الوقت على جهازك وإدخال الرمز الحالي.
error-totp-code-format = يُرجى إدخال الرمز المكوَّن من 6 أرقام الظاهر في تطبيق المصادقة الخاص بك.
error-second-factor-code-format = يُرجى إدخال الرمز المكوَّن من 6 أرقام الظاهر في تطبيق المصادقة الخاص بك، أو أحد رموز الاسترداد الخاصة بك.
error-passkeys-off = مفاتيح المرور غير مُعدَّة على هذا الخادم (WEBAUTHN_RP_ID).
error-too-many-passkeys = بلغ هذا الحساب الحد الأقصى المسموح به من مفاتيح المرور: يُرجى حذف أحدها أولًا.
error-passkey-unverified = تعذّر التحقق من مفتاح المرور هذا. يُرجى المحاولة مرة أخرى من الصفحة التي طلبته.
error-passkey-registered = مفتاح المرور هذا مسجَّل مسبقًا.
error-passkey-credential-format = يُرجى إرسال ناتج JSON.stringify() لبيانات الاعتماد (credential) التي أعادتها navigator.credentials.

## بيانات الحساب

# $min و$max: عددان من الأحرف.
error-username-length = يتكوّن اسم المستخدم من { $min } إلى { $max ->
    [few] { $max } أحرف
    [many] { $max } حرفًا
   *[other] { $max } حرف
}.
error-username-characters = لا يمكن أن يحتوي اسم المستخدم إلا على حروف وأرقام والرموز . _ - +
error-username-taken = اسم المستخدم هذا مأخوذ بالفعل.
error-email-invalid = يُرجى إدخال عنوان بريد إلكتروني صالح.
error-email-ascii = يُرجى كتابة العنوان بأحرف ASCII البسيطة (والنطاقات الدولية بصيغتها xn--).
error-email-taken = يوجد حساب يستخدم عنوان البريد الإلكتروني هذا بالفعل.
error-email-unchanged = هذا العنوان هو عنوان الحساب بالفعل.
# $max: عدد من الأحرف.
error-language = يُرجى إدخال وسم لغة لا يتجاوز { $max ->
    [zero] { $max } حرف
    [one] حرفًا واحدًا
    [two] حرفين
    [few] { $max } أحرف
    [many] { $max } حرفًا
   *[other] { $max } حرف
}، مثل fr أو en أو ar أو en-GB.
error-timezone = يُرجى إدخال منطقة زمنية وفق تسميات IANA، مثل Africa/Algiers.

## القوائم وأعضاء الفريق

# $max: أكبر حجم للصفحة.
error-page-size = يُرجى طلب ما بين 0 و{ $max ->
    [zero] { $max } عنصر
    [one] عنصر واحد
    [two] عنصرين
    [few] { $max } عناصر
    [many] { $max } عنصرًا
   *[other] { $max } عنصر
} في المرة الواحدة.
error-unknown-cursor = مؤشر غير معروف.
error-unknown-user-id = معرِّف مستخدم غير معروف.
error-deactivate-self = لا يمكن لأعضاء الفريق تعطيل حساباتهم الخاصة.
error-deactivate-staff = لا يمكن تعطيل حساب أحد أعضاء الفريق.

## طلبات تُرفض قبل تشغيل GraphQL

error-not-json = يُرجى إرسال طلبات GraphQL بصيغة JSON مع الترويسة Content-Type: application/json.
error-body-not-graphql = متن الطلب ليس طلب GraphQL صالحًا بصيغة JSON.
error-query-missing = يجب أن يتضمّن طلب GraphQL الحقل `query` غير فارغ.
error-batch-too-large = تتضمّن هذه الدفعة عمليات أكثر مما يقبله الخادم في آنٍ واحد.
error-get-parameters = يُرجى تمرير الاستعلام في المعامل `query`؛ ويجب أن تكون `variables` بصيغة JSON.
error-get-mutation = يجب إرسال عمليات التعديل (mutations) باستخدام POST.
error-cookie-origin = لا يُسمح لهذا المصدر (origin) باستدعاء الواجهة البرمجية ما دامت الجلسات محفوظة في ملفات تعريف الارتباط (cookies).
error-cookie-twice = يحمل هذا الطلب ملف تعريف ارتباط الجلسة أكثر من مرة.
error-cookie-no-origin = يجب أن يذكر الطلب الذي يحمل ملف تعريف ارتباط الجلسة مصدره في الترويسة Origin.

## حول المستند نفسه: موجّه إلى المطوّر الذي يكتبه. يبقى $detail بالإنجليزية.

error-document = رُفض المستند: { $detail }
