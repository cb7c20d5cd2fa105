#!/usr/bin/env bash
# Keeps README.md and docs/scenario-format.md honest: their example
# scenarios load and pass, and the README's failing example fails with the
# repro line the README shows.
# Usage: readme_test.sh IOSIM SOURCE_DIR WORK_DIR
set -u
iosim=${1:?}; src=${2:?}; work=${3:?}
mkdir -p "$work"
sed -n '/^    scenario: iommu-refusal/,/^## Documentation/p' "$src/README.md" | sed '$d' |
    sed 's/^    //' > "$work/readme-example.yaml"
fails=0
if "$iosim" run "$work/readme-example.yaml" > "$work/out1"; then
    echo "ok   the README's example scenario passes"
else
    echo "FAIL the README's example scenario:"; cat "$work/out1"; fails=1
fi
# the first yaml block of the section "A complete example" (other sections have fragments)
sed -n '/^## A complete example/,$p' "$src/docs/scenario-format.md" |
    sed -n '/^```yaml$/,/^```$/{p;/^```$/q}' | sed '1d;$d' > "$work/doc-example.yaml"
if "$iosim" run "$work/doc-example.yaml" > "$work/out3"; then
    echo "ok   docs/scenario-format.md's complete example passes"
else
    echo "FAIL docs/scenario-format.md's complete example:"; cat "$work/out3"; fails=1
fi
cd "$src" || exit 2
"$iosim" run scenarios/planted/lost-update.yaml --policy random --seed 5 > "$work/out2"
st=$?
want=$(grep -m1 '^    repro: ' README.md | sed 's/^    //')
if [ $st -eq 1 ] && grep -qxF "$want" "$work/out2"; then
    echo "ok   the README's failing example fails with its repro line"
else
    echo "FAIL the README's failing example (status $st):"; cat "$work/out2"; fails=1
fi
exit $fails
