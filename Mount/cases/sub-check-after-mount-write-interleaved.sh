#!/usr/bin/env bash
# The same as sub-check-after-mount-write for the interleaved layout (528- and 4160-byte blocks,
# which never line up with file-system units): an image written through the mount checks clean.
GEOMETRIES=("ms=16,layout=interleaved" "logical_block_size=4096,ms=64,pif=2,layout=interleaved")
source "$(dirname "$0")/sub-check-after-mount-write.sh"
