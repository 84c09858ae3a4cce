#!/usr/bin/env bash
# Real-copy figures (data/real and PolNeAR dev), for the rule layer and --models:
# quote F1, speaker accuracy, stance macro-F1, target accuracy, calls F1, people,
# and the false alarms on ordinary articles. Needs the texts restored
# (data/real/README.md, "Restoring the texts") and, for PolNeAR,
# tools/polnear.py convert. Extra arguments go to tools/eval_real.py.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p quotestance-cli
python3 tools/real.py check --quiet || echo "(some texts are missing or changed: they are skipped)"
exec python3 tools/eval_real.py "$@"
