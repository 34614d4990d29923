# الصفحات التي تعرضها هذه الخدمة للروابط الواردة في رسائلها (عندما يكون APP_URL هو
# الخدمة نفسها). تُتمّ كل صفحة خطوتها بزر: مجرد فتح الرابط لا يستهلكه أبدًا.

page-footer = { $product }
page-link-broken = هذا الرابط غير صالح أو منتهي الصلاحية أو سبق استخدامه. يُرجى طلب رابط جديد من التطبيق.
page-link-incomplete = هذا الرابط غير مكتمل: يُرجى فتحه مجددًا من الرسالة، كاملًا.

## /verify-email

page-verify-email-title = تأكيد عنوان بريدك الإلكتروني
page-verify-email-intro = يُرجى الضغط على الزر لتأكيد أن هذا العنوان يخصّك.
page-verify-email-action = تأكيد عنواني
page-verify-email-done = تم تأكيد عنوانك. يمكنك إغلاق هذه الصفحة.

## /reset-password

page-reset-password-title = اختيار كلمة مرور جديدة
page-reset-password-intro = يُرجى اختيار كلمة مرور لا تستخدمها في أي مكان آخر. سيتم تسجيل الخروج من حسابك على جميع الأجهزة.
page-reset-password-new = كلمة المرور الجديدة
page-reset-password-confirm = تأكيد كلمة المرور الجديدة
page-reset-password-action = تعيين كلمة المرور
page-reset-password-done = تم تعيين كلمة مرورك وأُغلقت جميع الجلسات. يُرجى تسجيل الدخول مجددًا بكلمة المرور الجديدة.

## /confirm-email-change

page-confirm-email-change-title = استخدام عنوان البريد الإلكتروني هذا
page-confirm-email-change-intro = يُرجى الضغط على الزر ليستخدم حسابك هذا العنوان من الآن فصاعدًا.
page-confirm-email-change-action = استخدام هذا العنوان
page-confirm-email-change-done = أصبح حسابك يستخدم هذا العنوان الآن.

## /sessions (من رسالة تسجيل الدخول الجديد)

page-sessions-title = هل كنت أنت؟
page-sessions-intro = أبلغناك بتسجيل دخول جديد إلى حسابك. إذا كنت أنت من سجّل الدخول، فلا يلزم أي إجراء. وإلا، يُرجى إعادة تعيين كلمة مرورك: سيتم تسجيل الخروج من حسابك على جميع الأجهزة.
page-sessions-email = عنوان بريدك الإلكتروني
page-sessions-action = إرسال رابط إعادة التعيين إليّ
page-sessions-done = إذا كان هناك حساب يستخدم هذا العنوان، فإن رابط إعادة التعيين في طريقه إليه.
