# Shared by run.sh and test.sh: create .venv and (re)install CX Hub when
# pyproject.toml changed since the last install.
ensure_venv() {
    local extras="$1"
    if [ ! -x .venv/bin/python ]; then
        echo "Creating a virtual environment in .venv ..."
        python3 -m venv .venv
    fi
    local stamp=".venv/.cxhub-installed${extras}"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo "Installing CX Hub${extras:+ with ${extras}} into .venv ..."
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
        touch "$stamp"
    fi
}
