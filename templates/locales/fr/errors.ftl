# Le `message` des erreurs de l'API, en français. Le code de `extensions.code` est ce
# que lisent les programmes ; ces textes s'adressent aux personnes.

## Connexion et sessions

error-unauthenticated = Connectez-vous pour continuer.
error-forbidden = Vous n'avez pas l'autorisation d'effectuer cette action.
error-email-not-verified = Confirmez d'abord votre adresse e-mail : suivez le lien que nous vous avons envoyé.
error-internal = Une erreur s'est produite de notre côté. Veuillez réessayer.
error-invalid-credentials = Le nom d'utilisateur, l'adresse e-mail ou le mot de passe est incorrect.
error-account-locked = Trop de tentatives de connexion ont échoué. Réessayez plus tard.
error-rate-limited = Trop de requêtes. Veuillez patienter un instant, puis réessayer.
error-account-disabled = Ce compte est désactivé.
error-invalid-token = Ce jeton est invalide, expiré ou déjà utilisé.
error-token-reused = Ce jeton de rafraîchissement a déjà été utilisé ; par sécurité, la session a été fermée.
error-not-found = Introuvable.
# $minutes : l'ancienneté maximale d'une connexion pour se passer du mot de passe.
error-reauthenticate = Saisissez votre mot de passe pour continuer : la connexion de cette session remonte à plus de { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}.

## Mots de passe

error-weak-password = Choisissez un mot de passe plus robuste.
error-password-mismatch = Les deux mots de passe ne correspondent pas.
# $max : un nombre d'octets.
error-password-too-long = Un mot de passe ne peut pas dépasser { $max ->
    [one] { $max } octet
   *[other] { $max } octets
}.
# Les motifs d'une erreur WEAK_PASSWORD, tels que les pages les affichent.
weak-password-too-short = Il est trop court : utilisez au moins { $min ->
    [one] { $min } caractère
   *[other] { $min } caractères
}.
weak-password-too-long = Il est trop long.
weak-password-similar-to-username = Il contient votre nom d'utilisateur.
weak-password-similar-to-email = Il contient votre adresse e-mail.
weak-password-too-common = Il est trop courant, ou trop facile à deviner.

## Validation en deux étapes et clés d'accès

error-mfa-required = Saisissez le code de votre application d'authentification, ou un code de récupération.
error-invalid-code = Ce code est incorrect ou a déjà été utilisé.
error-totp-already-enabled = La validation en deux étapes est déjà activée. Désactivez-la d'abord pour configurer une autre application d'authentification.
error-totp-not-enrolling = Commencez d'abord la configuration de la validation en deux étapes (startTotpEnrollment).
error-totp-not-enabled = La validation en deux étapes n'est pas activée.
error-totp-code-mismatch = Ce code ne correspond pas. Vérifiez l'heure de votre appareil et saisissez le code actuel.
error-totp-code-format = Saisissez le code à 6 chiffres de votre application d'authentification.
error-second-factor-code-format = Saisissez le code à 6 chiffres de votre application d'authentification, ou l'un de vos codes de récupération.
error-passkeys-off = Les clés d'accès ne sont pas configurées sur ce serveur (WEBAUTHN_RP_ID).
error-too-many-passkeys = Ce compte a atteint le nombre maximal de clés d'accès : supprimez-en une d'abord.
error-passkey-unverified = Cette clé d'accès n'a pas pu être vérifiée. Réessayez depuis la page qui l'a demandée.
error-passkey-registered = Cette clé d'accès est déjà enregistrée.
error-passkey-credential-format = Envoyez le résultat de JSON.stringify() appliqué à l'identifiant (credential) renvoyé par navigator.credentials.

## Informations du compte

# $min, $max : des nombres de caractères.
error-username-length = Un nom d'utilisateur compte de { $min } à { $max ->
    [one] { $max } caractère
   *[other] { $max } caractères
}.
error-username-characters = Un nom d'utilisateur ne peut contenir que des lettres, des chiffres et . _ - +
error-username-taken = Ce nom d'utilisateur est déjà pris.
error-email-invalid = Saisissez une adresse e-mail valide.
error-email-ascii = Saisissez l'adresse en caractères ASCII simples (les domaines internationaux sous leur forme xn--).
error-email-taken = Un compte utilise déjà cette adresse e-mail.
error-email-unchanged = C'est déjà l'adresse de ce compte.
# $max : un nombre de caractères.
error-language = Saisissez une étiquette de langue d'au plus { $max ->
    [one] { $max } caractère
   *[other] { $max } caractères
}, par exemple fr, en, ar ou en-GB.
error-timezone = Saisissez un fuseau horaire IANA, par exemple Africa/Algiers.

## Listes et équipe

# $max : la plus grande page.
error-page-size = Demandez de 0 à { $max ->
    [one] { $max } élément
   *[other] { $max } éléments
} à la fois.
error-unknown-cursor = Curseur inconnu.
error-unknown-user-id = Identifiant d'utilisateur inconnu.
error-deactivate-self = Un membre de l'équipe ne peut pas désactiver son propre compte.
error-deactivate-staff = Le compte d'un membre de l'équipe ne peut pas être désactivé.

## Requêtes refusées avant l'exécution de GraphQL

error-not-json = Envoyez les requêtes GraphQL en JSON, avec Content-Type: application/json.
error-body-not-graphql = Le corps de la requête n'est pas une requête GraphQL valide en JSON.
error-query-missing = Une requête GraphQL doit comporter un `query` non vide.
error-batch-too-large = Ce lot contient plus d'opérations que le serveur n'en accepte à la fois.
error-get-parameters = Passez la requête dans le paramètre `query` ; `variables` doit être du JSON.
error-get-mutation = Les mutations doivent être envoyées avec POST.
error-cookie-origin = Cette origine ne peut pas appeler l'API tant que les sessions sont conservées dans des cookies.
error-cookie-twice = Cette requête porte le cookie de session plus d'une fois.
error-cookie-no-origin = Une requête portant le cookie de session doit indiquer son en-tête Origin.

## Au sujet du document lui-même : pour le développeur qui l'écrit. $detail reste en anglais.

error-document = Document refusé : { $detail }
