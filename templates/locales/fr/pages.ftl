# Les pages que ce service affiche pour les liens de ses e-mails (quand APP_URL est le
# service lui-même). Chacune accomplit son étape par un bouton : ouvrir un lien ne le
# consomme jamais.

page-footer = { $product }
page-link-broken = Ce lien est invalide, expiré ou déjà utilisé. Demandez-en un nouveau depuis l'application.
page-link-incomplete = Ce lien est incomplet : ouvrez-le de nouveau depuis le message, en entier.

## /verify-email

page-verify-email-title = Confirmez votre adresse e-mail
page-verify-email-intro = Appuyez sur le bouton pour confirmer que cette adresse est bien la vôtre.
page-verify-email-action = Confirmer mon adresse
page-verify-email-done = Votre adresse est confirmée. Vous pouvez fermer cette page.

## /reset-password

page-reset-password-title = Choisissez un nouveau mot de passe
page-reset-password-intro = Choisissez un mot de passe que vous n'utilisez nulle part ailleurs. Tous les appareils connectés à votre compte seront déconnectés.
page-reset-password-new = Nouveau mot de passe
page-reset-password-confirm = Confirmation du nouveau mot de passe
page-reset-password-action = Définir mon mot de passe
page-reset-password-done = Votre mot de passe est défini et toutes les sessions ont été fermées. Reconnectez-vous avec le nouveau mot de passe.

## /confirm-email-change

page-confirm-email-change-title = Utiliser cette adresse e-mail
page-confirm-email-change-intro = Appuyez sur le bouton pour que votre compte utilise désormais cette adresse.
page-confirm-email-change-action = Utiliser cette adresse
page-confirm-email-change-done = Votre compte utilise désormais cette adresse.

## /sessions (depuis l'e-mail de nouvelle connexion)

page-sessions-title = Était-ce vous ?
page-sessions-intro = Nous vous avons signalé une nouvelle connexion à votre compte. Si c'était vous, il n'y a rien à faire. Sinon, réinitialisez votre mot de passe : tous les appareils connectés à votre compte seront déconnectés.
page-sessions-email = Votre adresse e-mail
page-sessions-action = M'envoyer un lien de réinitialisation
page-sessions-done = Si un compte utilise cette adresse, un lien de réinitialisation vient d'y être envoyé.
