#!/bin/sh
# instance-checksums.sh DIR: sha256sum of the instance files that do not
# change while the guests run (the image cache _base/*, each instance's
# kernel, ramdisk and disk.info), relative to DIR: the instances directory
# (a compute's GlusterFS mount) or a brick of the volume (the same tree,
# beside gluster's .glusterfs).  Run by cluster/run before it destroys a
# compute and by verify.py's replace check on the new machine's brick.
set -eu
cd "$1"
find . -path ./.glusterfs -prune -o -type f \
  \( -path './_base/*' -o -name kernel -o -name ramdisk -o -name disk.info \) -print \
  | LC_ALL=C sort | while read -r f; do sha256sum "$f"; done
