# Messages des e-mails du service, en français (langue par défaut).
# Textes repris de src/mail/templates/{mod.rs,second_factor.rs}.

## Commun

mail-greeting = Bonjour { $username },
mail-footer = Ce message vous a été envoyé par { $product } au sujet de votre compte.
mail-link-hint = Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur :

## Durées ($count : un nombre). En français, 0 et 1 sont « one ».

duration-hours = { $count ->
    [one] { $count } heure
   *[other] { $count } heures
}
duration-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
duration-seconds = { $count ->
    [one] { $count } seconde
   *[other] { $count } secondes
}

## Vérification de l'adresse e-mail ($duration : durée déjà formatée, ex. « 48 heures »)

mail-email-verification-subject = Confirmez votre adresse e-mail
mail-email-verification-intro = Pour confirmer votre adresse e-mail, ouvrez ce lien :
mail-email-verification-action = Confirmer mon adresse
mail-email-verification-validity = Ce lien est valable { $duration }.
mail-email-verification-ignore = Si vous n'avez pas créé de compte, ignorez ce message.

## Réinitialisation du mot de passe

mail-password-reset-subject = Réinitialisation de votre mot de passe
mail-password-reset-intro = Une réinitialisation du mot de passe de votre compte a été demandée. Pour choisir un nouveau mot de passe, ouvrez ce lien :
mail-password-reset-action = Choisir un nouveau mot de passe
mail-password-reset-validity = Ce lien est valable { $duration } et ne sert qu'une fois.
mail-password-reset-ignore = Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.

## Changement d'adresse : confirmation envoyée à la nouvelle adresse

mail-email-change-confirmation-subject = Confirmez votre nouvelle adresse e-mail
mail-email-change-confirmation-intro = Pour que votre compte utilise désormais cette adresse, ouvrez ce lien :
mail-email-change-confirmation-action = Utiliser cette adresse
mail-email-change-confirmation-validity = Ce lien est valable { $duration }.
mail-email-change-confirmation-ignore = Si vous n'avez rien demandé, ignorez ce message : rien ne changera.

## Changement d'adresse : avis envoyé à l'ancienne adresse ($newEmail : masquée)

mail-email-change-requested-subject = Changement d'adresse e-mail demandé
mail-email-change-requested-intro = Quelqu'un connaissant votre mot de passe a demandé que votre compte utilise l'adresse { $newEmail }. Le changement n'aura lieu que si le lien envoyé à cette adresse est ouvert.
mail-email-change-requested-advice = Si ce n'était pas vous, changez votre mot de passe dès maintenant et déconnectez vos autres appareils.

## Compte supprimé

mail-account-deleted-subject = Votre compte a été supprimé
mail-account-deleted-intro = Votre compte a été supprimé à votre demande. Vos sessions sont terminées et vos données personnelles effacées.
mail-account-deleted-advice = Si vous n'avez pas demandé cette suppression, répondez à ce message : quelqu'un connaissait votre mot de passe.

## Mot de passe modifié

mail-password-changed-subject = Votre mot de passe a été modifié
mail-password-changed-intro = Le mot de passe de votre compte vient d'être modifié.
mail-password-changed-advice = Si ce n'est pas vous, réinitialisez votre mot de passe sans attendre.

## Mot de passe réinitialisé

mail-password-reset-completed-subject = Votre mot de passe a été réinitialisé
mail-password-reset-completed-intro = Le mot de passe de votre compte vient d'être réinitialisé, et toutes vos sessions ont été fermées.
mail-password-reset-completed-advice = Si ce n'est pas vous, réinitialisez votre mot de passe sans attendre.

## Nouvelle connexion ($device, $place, $ip : toujours fournis ; à défaut, les textes mail-unknown-*)

mail-new-sign-in-subject = Nouvelle connexion à votre compte
mail-new-sign-in-intro = Une connexion à votre compte vient d'avoir lieu depuis { $device } ({ $place }, adresse { $ip }).
mail-new-sign-in-action = Voir mes sessions
mail-new-sign-in-advice = Si c'est vous, il n'y a rien à faire. Sinon, fermez cette session et changez votre mot de passe.
mail-unknown-device = un appareil inconnu
mail-unknown-place = lieu inconnu
mail-unknown-ip = inconnue

## Validation en deux étapes activée

mail-mfa-enabled-subject = La validation en deux étapes est activée
mail-mfa-enabled-intro = La validation en deux étapes vient d'être activée sur votre compte : chaque connexion demandera désormais, après le mot de passe, un code de votre application d'authentification.
mail-mfa-enabled-recovery-codes = Gardez vos codes de récupération en lieu sûr : ils vous permettent de vous connecter si vous perdez votre téléphone.
mail-mfa-enabled-advice = Si ce n'est pas vous, réinitialisez votre mot de passe sans attendre.

## Validation en deux étapes désactivée ($byStaff : "yes" ou "no")

mail-mfa-disabled-subject = La validation en deux étapes est désactivée
mail-mfa-disabled-intro = La validation en deux étapes vient d'être désactivée sur votre compte{ $byStaff ->
    [yes] {" par notre équipe"}
   *[no] {""}
} : la connexion ne demande plus que votre mot de passe, et vos codes de récupération ne servent plus.
mail-mfa-disabled-advice = Si vous ne l'avez pas demandé, réinitialisez votre mot de passe sans attendre et réactivez-la.

## Code de récupération utilisé ($codesLeft : un nombre)

mail-recovery-code-used-subject = Un code de récupération a été utilisé
mail-recovery-code-used-intro = Un code de récupération vient de servir à vous connecter. { $codesLeft ->
    [0] Il ne vous en reste aucun
   *[other] Il vous en reste { $codesLeft }
} ; vous pouvez en générer de nouveaux dans vos paramètres de sécurité.
mail-recovery-code-used-advice = Si ce n'est pas vous, réinitialisez votre mot de passe sans attendre.

## Clé d'accès ajoutée ($name : le nom de la clé)

mail-passkey-added-subject = Une clé d'accès a été ajoutée à votre compte
mail-passkey-added-intro = Une clé d'accès vient d'être ajoutée à votre compte : elle permet de vous connecter sans mot de passe.
mail-passkey-added-intro-named = Une clé d'accès « { $name } » vient d'être ajoutée à votre compte : elle permet de vous connecter sans mot de passe.
mail-passkey-added-advice = Si ce n'est pas vous, supprimez-la dans vos paramètres de sécurité et réinitialisez votre mot de passe sans attendre.

## Clé d'accès supprimée ($name : le nom de la clé)

mail-passkey-removed-subject = Une clé d'accès a été supprimée de votre compte
mail-passkey-removed-intro = La clé d'accès vient d'être supprimée de votre compte : elle ne permet plus de vous connecter.
mail-passkey-removed-intro-named = La clé d'accès « { $name } » vient d'être supprimée de votre compte : elle ne permet plus de vous connecter.
mail-passkey-removed-advice = Si ce n'est pas vous, réinitialisez votre mot de passe sans attendre.
