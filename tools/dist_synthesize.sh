#!/usr/bin/env bash
# Usage: tools/dist_synthesize.sh IMAGE_CONFIG IMAGE_CKPT PROCESSES [synthesize.py args...]
# Splits the pairs of tools/synthesize.py over PROCESSES processes of this node through torchrun
# (NCCL on GPU, gloo on CPU): rank r paints the indices i with i % PROCESSES == r.
set -euo pipefail
IMAGE_CONFIG=$1
IMAGE_CKPT=$2
PROCESSES=$3
PORT=${PORT:-29510}
PYTHON=${PYTHON:-python}

# torchrun's parser reads abbreviations anywhere on the line, and takes --num for its own
# --numa-binding: hand synthesize.py its long name instead.
ARGS=()
for arg in "${@:4}"; do
    case "$arg" in
        --num) ARGS+=(--num-pairs) ;;
        --num=*) ARGS+=("--num-pairs=${arg#--num=}") ;;
        *) ARGS+=("$arg") ;;
    esac
done

"$PYTHON" -m torch.distributed.run \
    --nnodes=1 \
    --nproc_per_node="$PROCESSES" \
    --master_addr=127.0.0.1 \
    --master_port="$PORT" \
    "$(dirname "$0")/synthesize.py" \
    "$IMAGE_CONFIG" "$IMAGE_CKPT" \
    --launcher pytorch "${ARGS[@]}"
