#!/usr/bin/env bash
# Put tools/get_pip_standin.py where ansible-test looks for its cached pip
# bootstrap script, for the pip version the installed ansible-test wants.
# Usage: tools/install-get-pip.sh PYTHON   (the interpreter that has ansible-test)
set -euo pipefail
python=${1:?usage: $0 PYTHON}
here=$(cd "$(dirname "$0")" && pwd)
source_file=$("$python" -c 'import ansible_test._internal.python_requirements as m; print(m.__file__)')
version=$(grep -oP "pip='\K[0-9.]+" "$source_file" | head -n1)
[ -n "$version" ] || { echo "install-get-pip: cannot find ansible-test's pip version in $source_file" >&2; exit 1; }
target="$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
mkdir -p "$(dirname "$target")"
cmp -s "$here/get_pip_standin.py" "$target" || cp "$here/get_pip_standin.py" "$target"
