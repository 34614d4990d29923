# رسائل البريد الإلكتروني للخدمة، باللغة العربية.
# ترجمة للنصوص الواردة في src/mail/templates/{mod.rs,second_factor.rs}.

## عام

mail-greeting = مرحبًا { $username }،
mail-footer = أُرسلت إليك هذه الرسالة من قِبل { $product } بخصوص حسابك.
mail-link-hint = إذا لم يعمل الزر، يُرجى نسخ العنوان التالي ولصقه في متصفحك:

## المُدد ($count: عدد). تُستعمل بعد «لمدة»، لذا جاء المثنى مجرورًا (ساعتين، دقيقتين، ثانيتين).

duration-hours = { $count ->
    [zero] { $count } ساعة
    [one] ساعة واحدة
    [two] ساعتين
    [few] { $count } ساعات
    [many] { $count } ساعة
   *[other] { $count } ساعة
}
duration-minutes = { $count ->
    [zero] { $count } دقيقة
    [one] دقيقة واحدة
    [two] دقيقتين
    [few] { $count } دقائق
    [many] { $count } دقيقة
   *[other] { $count } دقيقة
}
duration-seconds = { $count ->
    [zero] { $count } ثانية
    [one] ثانية واحدة
    [two] ثانيتين
    [few] { $count } ثوانٍ
    [many] { $count } ثانية
   *[other] { $count } ثانية
}

## تأكيد عنوان البريد الإلكتروني ($duration: مدة منسّقة مسبقًا، مثل «48 ساعة»)

mail-email-verification-subject = تأكيد عنوان بريدك الإلكتروني
mail-email-verification-intro = لتأكيد عنوان بريدك الإلكتروني، يُرجى فتح هذا الرابط:
mail-email-verification-action = تأكيد عنواني
mail-email-verification-validity = هذا الرابط صالح لمدة { $duration }.
mail-email-verification-ignore = إذا لم تقم بإنشاء حساب، يُرجى تجاهل هذه الرسالة.

## إعادة تعيين كلمة المرور

mail-password-reset-subject = إعادة تعيين كلمة المرور
mail-password-reset-intro = طُلبت إعادة تعيين كلمة مرور حسابك. لاختيار كلمة مرور جديدة، يُرجى فتح هذا الرابط:
mail-password-reset-action = اختيار كلمة مرور جديدة
mail-password-reset-validity = هذا الرابط صالح لمدة { $duration }، ولا يمكن استخدامه إلا مرة واحدة.
mail-password-reset-ignore = إذا لم يكن هذا الطلب صادرًا عنك، يُرجى تجاهل هذه الرسالة؛ فكلمة مرورك ستبقى كما هي.

## تغيير العنوان: التأكيد المرسَل إلى العنوان الجديد

mail-email-change-confirmation-subject = تأكيد عنوان بريدك الإلكتروني الجديد
mail-email-change-confirmation-intro = لكي يستخدم حسابك هذا العنوان من الآن فصاعدًا، يُرجى فتح هذا الرابط:
mail-email-change-confirmation-action = استخدام هذا العنوان
mail-email-change-confirmation-validity = هذا الرابط صالح لمدة { $duration }.
mail-email-change-confirmation-ignore = إذا لم تطلب ذلك، يُرجى تجاهل هذه الرسالة، ولن يتغيّر أي شيء.

## تغيير العنوان: الإشعار المرسَل إلى العنوان القديم ($newEmail: عنوان مُقنَّع)

mail-email-change-requested-subject = طلب تغيير عنوان البريد الإلكتروني
mail-email-change-requested-intro = طلب شخص يعرف كلمة مرورك أن يستخدم حسابك العنوان { $newEmail }. ولن يتم التغيير إلا إذا فُتح الرابط المرسَل إلى ذلك العنوان.
mail-email-change-requested-advice = إذا لم تكن أنت صاحب هذا الطلب، يُرجى تغيير كلمة مرورك فورًا وتسجيل الخروج من أجهزتك الأخرى.

## حذف الحساب

mail-account-deleted-subject = تم حذف حسابك
mail-account-deleted-intro = تم حذف حسابك بناءً على طلبك، وأُنهيت جلساتك ومُسحت بياناتك الشخصية.
mail-account-deleted-advice = إذا لم تطلب هذا الحذف، يُرجى الرد على هذه الرسالة؛ فهذا يعني أن شخصًا ما كان يعرف كلمة مرورك.

## تغيير كلمة المرور

mail-password-changed-subject = تم تغيير كلمة مرورك
mail-password-changed-intro = تم للتو تغيير كلمة مرور حسابك.
mail-password-changed-advice = إذا لم تكن أنت من قام بذلك، يُرجى إعادة تعيين كلمة مرورك دون تأخير.

## اكتمال إعادة تعيين كلمة المرور

mail-password-reset-completed-subject = تمت إعادة تعيين كلمة مرورك
mail-password-reset-completed-intro = تمت للتو إعادة تعيين كلمة مرور حسابك، وأُغلقت جميع جلساتك.
mail-password-reset-completed-advice = إذا لم تكن أنت من قام بذلك، يُرجى إعادة تعيين كلمة مرورك دون تأخير.

## تسجيل دخول جديد ($device و$place و$ip: تُمرَّر دائمًا؛ وعند عدم توفرها تُمرَّر نصوص mail-unknown-*)

mail-new-sign-in-subject = تسجيل دخول جديد إلى حسابك
mail-new-sign-in-intro = تم للتو تسجيل الدخول إلى حسابك من { $device } ({ $place }، عنوان IP: { $ip }).
mail-new-sign-in-action = عرض جلساتي
mail-new-sign-in-advice = إذا كنت أنت من سجّل الدخول، فلا يلزم أي إجراء. وإلا، يُرجى إنهاء تلك الجلسة وتغيير كلمة مرورك.
mail-unknown-device = جهاز غير معروف
mail-unknown-place = موقع غير معروف
mail-unknown-ip = غير معروف

## تفعيل التحقق بخطوتين

mail-mfa-enabled-subject = تم تفعيل التحقق بخطوتين
mail-mfa-enabled-intro = تم للتو تفعيل التحقق بخطوتين في حسابك: من الآن فصاعدًا، سيُطلب منك عند كل تسجيل دخول، بعد كلمة المرور، رمز من تطبيق المصادقة الخاص بك.
mail-mfa-enabled-recovery-codes = يُرجى الاحتفاظ برموز الاسترداد في مكان آمن، فهي تتيح لك تسجيل الدخول في حال فقدان هاتفك.
mail-mfa-enabled-advice = إذا لم تكن أنت من قام بذلك، يُرجى إعادة تعيين كلمة مرورك دون تأخير.

## تعطيل التحقق بخطوتين ($byStaff: "yes" أو "no")

mail-mfa-disabled-subject = تم تعطيل التحقق بخطوتين
mail-mfa-disabled-intro = تم للتو تعطيل التحقق بخطوتين في حسابك{ $byStaff ->
    [yes] {" من قِبل فريق الدعم لدينا"}
   *[no] {""}
}: أصبح تسجيل الدخول لا يتطلب سوى كلمة مرورك، ولم تعد رموز الاسترداد صالحة للاستخدام.
mail-mfa-disabled-advice = إذا لم تطلب ذلك، يُرجى إعادة تعيين كلمة مرورك دون تأخير ثم إعادة تفعيله.

## استخدام رمز استرداد ($codesLeft: عدد)

mail-recovery-code-used-subject = تم استخدام رمز استرداد
mail-recovery-code-used-intro = تم للتو استخدام رمز استرداد لتسجيل الدخول إلى حسابك. { $codesLeft ->
    [zero] لم يبقَ لديك أي رمز
    [one] بقي لديك رمز واحد
    [two] بقي لديك رمزان
    [few] بقي لديك { $codesLeft } رموز
    [many] بقي لديك { $codesLeft } رمزًا
   *[other] بقي لديك { $codesLeft } رمز
}، ويمكنك إنشاء رموز جديدة من إعدادات الأمان.
mail-recovery-code-used-advice = إذا لم تكن أنت من قام بذلك، يُرجى إعادة تعيين كلمة مرورك دون تأخير.

## إضافة مفتاح مرور ($name: اسم مفتاح المرور)

mail-passkey-added-subject = تمت إضافة مفتاح مرور إلى حسابك
mail-passkey-added-intro = تمت للتو إضافة مفتاح مرور إلى حسابك، وهو يتيح تسجيل الدخول دون كلمة مرور.
mail-passkey-added-intro-named = تمت للتو إضافة مفتاح المرور «{ $name }» إلى حسابك، وهو يتيح تسجيل الدخول دون كلمة مرور.
mail-passkey-added-advice = إذا لم تكن أنت من قام بذلك، يُرجى حذفه من إعدادات الأمان وإعادة تعيين كلمة مرورك دون تأخير.

## إزالة مفتاح مرور ($name: اسم مفتاح المرور)

mail-passkey-removed-subject = تمت إزالة مفتاح مرور من حسابك
mail-passkey-removed-intro = تمت للتو إزالة مفتاح مرور من حسابك، ولم يعد من الممكن استخدامه لتسجيل الدخول.
mail-passkey-removed-intro-named = تمت للتو إزالة مفتاح المرور «{ $name }» من حسابك، ولم يعد من الممكن استخدامه لتسجيل الدخول.
mail-passkey-removed-advice = إذا لم تكن أنت من قام بذلك، يُرجى إعادة تعيين كلمة مرورك دون تأخير.
