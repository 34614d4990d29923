#!/usr/bin/env bash
# Refreshes the common-password list embedded in the binary (src/domain/password.rs) from
# Django's wheel on PyPI, pinned. Django ships it gzipped; it is kept decompressed here so
# the binary reads it with include_str! and no decompressor.
set -euo pipefail
cd "$(dirname "$0")"
DJANGO=5.2.19
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --dest "$work" "django==$DJANGO"
(cd "$work" && python3 -m zipfile -e "django-$DJANGO-py3-none-any.whl" wheel)
gzip -dc "$work/wheel/django/contrib/auth/common-passwords.txt.gz" > common-passwords.txt
cp "$work/wheel/django-$DJANGO.dist-info/licenses/LICENSE" LICENSE.django
echo "django@$DJANGO" > VERSIONS
