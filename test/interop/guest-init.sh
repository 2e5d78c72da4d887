#!/bin/sh
# /init of the interop guest. Its task comes from the kernel command line:
#   hx.mode=crash|read   hx.ramoops=k=v,k=v (ramoops.ko module parameters)
#   crash: hx.marker=M hx.filler=N hx.lines=1 (/hx/lines from an appended cpio)
#          hx.oops=N (needs /lib/modules/hx_oops<i>.ko) hx.end=panic|poweroff|oops
#          hx.capture=1 first shows /sys/fs/pstore as read mode does (==FILE
#          frames), so one boot both reads old records and writes new ones
#   read:  hx.erase=1 removes the files after capturing them
#          hx.archive=1 runs `pstore archive` on /sys/fs/pstore with the host's
#          node (/hx/node, its libraries and /hx/app from an appended cpio)
#          into /archive, then shows every archived file (==AFILE frames)
#          and how many files pstore still shows (==LEFT N==)
#   hx.pblk=k=v,… : pstore/blk on /dev/vda (virtio disk) with these pstore_blk
#          parameters instead of ramoops; crash mode then waits for the
#          deferred flush (best_effort writes Oopses from a workqueue);
#          pstore is mounted first, else pstore/zone never writes
# Captured data goes to /dev/ttyS1 in frames; the console stays for humans.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

MODE=; MARKER=; END=panic; RAMOOPS=; PBLK=; FILLER=0; LINES=0; OOPS=0; ERASE=0; CAPTURE=0; ARCHIVE=0
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    hx.mode=*) MODE=${arg#hx.mode=} ;;
    hx.marker=*) MARKER=${arg#hx.marker=} ;;
    hx.end=*) END=${arg#hx.end=} ;;
    hx.ramoops=*) RAMOOPS=${arg#hx.ramoops=} ;;
    hx.pblk=*) PBLK=${arg#hx.pblk=} ;;
    hx.filler=*) FILLER=${arg#hx.filler=} ;;
    hx.lines=*) LINES=${arg#hx.lines=} ;;
    hx.oops=*) OOPS=${arg#hx.oops=} ;;
    hx.erase=*) ERASE=${arg#hx.erase=} ;;
    hx.capture=*) CAPTURE=${arg#hx.capture=} ;;
    hx.archive=*) ARCHIVE=${arg#hx.archive=} ;;
  esac
done

OUT=/dev/ttyS1
[ -c "$OUT" ] || OUT=/dev/console
stty -F "$OUT" raw -echo 2>/dev/null

fail() {
  echo "harness: FAIL $*" > /dev/console
  echo "==FAIL $*==" > "$OUT"
  sync
  poweroff -f
}

kmsg() { echo "<$1>harness: $2" > /dev/kmsg; }

mount_pstore() {
  mkdir -p /sys/fs/pstore
  mount -t pstore pstore /sys/fs/pstore || fail "mount pstore"
}

# Every file of /sys/fs/pstore as a frame: name size mode mtime-seconds mtime-with-nanoseconds, then base64.
capture_files() {
  for f in /sys/fs/pstore/*; do
    [ -f "$f" ] || continue
    echo "==FILE $(stat -c '%n %s %a %Y' "$f" | sed 's,^/sys/fs/pstore/,,') $(stat -c '%y' "$f" | tr ' ' '_')==" > "$OUT"
    base64 "$f" > "$OUT"
    echo "==END==" > "$OUT"
  done
}

if [ -n "$PBLK" ]; then
  # The virtio and pstore_zone modules this kernel needs, in load order.
  while read -r m; do
    [ "$m" = pstore_blk ] || insmod /lib/modules/$m.ko || fail "insmod $m"
  done < /lib/modules/blk.list
  i=0
  while [ ! -b /dev/vda ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  [ -b /dev/vda ] || fail "no /dev/vda (attach a virtio disk)"
  # shellcheck disable=SC2046
  insmod /lib/modules/pstore_blk.ko $(echo "$PBLK" | tr ',' ' ') || fail "insmod pstore_blk $PBLK"
  [ "$(cat /sys/module/pstore/parameters/backend 2>/dev/null)" = pstore_blk ] ||
    fail "pstore_blk did not register: $(dmesg | grep -i pstore | tail -2 | tr '\n' ' ')"
else
  insmod /lib/modules/reed_solomon.ko || fail "insmod reed_solomon"
  # shellcheck disable=SC2046
  insmod /lib/modules/ramoops.ko $(echo "$RAMOOPS" | tr ',' ' ') || fail "insmod ramoops $RAMOOPS"
  # insmod succeeds even when the probe fails (bad sizes): check registration.
  [ "$(cat /sys/module/pstore/parameters/backend 2>/dev/null)" = ramoops ] ||
    fail "ramoops did not register: $(dmesg | grep -i ramoops | tail -2 | tr '\n' ' ')"
fi
echo "==READY $(cut -d" " -f1 /proc/uptime)==" > "$OUT"

if [ "$MODE" = crash ]; then
  if [ -n "$PBLK" ] || [ "$CAPTURE" = 1 ]; then
    # pstore/zone writes nothing until it has read the device back
    # ("recovered"), which happens when pstore is mounted, as at boot.
    mount_pstore
  fi
  if [ "$CAPTURE" = 1 ]; then
    capture_files
    echo "==CAPTURED==" > "$OUT"
  fi
  kmsg 14 "marker $MARKER begin"
  kmsg 14 "mode=crash end=$END"
  kmsg 12 "marker $MARKER warning-level line"
  i=1
  while [ "$i" -le "$FILLER" ]; do
    kmsg 14 "filler $i/$FILLER marker $MARKER 0123456789abcdefghijklmnopqrstuvwxyz"
    i=$((i + 1))
  done
  if [ "$LINES" = 1 ]; then
    [ -f /hx/lines ] || fail "hx.lines=1 but no /hx/lines in the initramfs"
    while IFS= read -r line || [ -n "$line" ]; do
      echo "$line" > /dev/kmsg
    done < /hx/lines
  fi
  i=1
  while [ "$i" -le "$OOPS" ]; do
    # The module faults in its init: an Oops, insmod is killed, we go on.
    [ -f /lib/modules/hx_oops$i.ko ] || fail "no oops module hx_oops$i.ko"
    insmod /lib/modules/hx_oops$i.ko
    i=$((i + 1))
  done
  kmsg 14 "marker $MARKER end"
  if [ -n "$PBLK" ]; then
    # pstore/zone flushes dirty zones to the disk from a workqueue (1 s); then sync the bdev cache.
    sleep 2
    sync
    echo "==FLUSHED==" > "$OUT"
  fi
  echo "==CRASHING $END==" > "$OUT"
  sync
  case "$END" in
    panic) echo c > /proc/sysrq-trigger ;;
    poweroff|shutdown) poweroff -f ;;
    oops) poweroff -f ;;
    *) fail "unknown hx.end=$END" ;;
  esac
  sleep 5
  fail "still alive after hx.end=$END"
fi

[ "$MODE" = read ] || fail "unknown hx.mode=$MODE"
mount_pstore
echo "==MOUNT $(grep pstore /proc/mounts)==" > "$OUT"
capture_files
for p in /sys/module/ramoops/parameters/* /sys/module/pstore_blk/parameters/* /sys/module/pstore/parameters/* /sys/module/printk/parameters/*; do
  [ -f "$p" ] && echo "==PARAM ${p#/sys/module/} $(cat "$p" 2>/dev/null)==" > "$OUT"
done
echo "==UPTIME $(cut -d" " -f1 /proc/uptime)==" > "$OUT"
echo "==DMESG==" > "$OUT"
dmesg > "$OUT"
echo "==END==" > "$OUT"
if [ "$ARCHIVE" = 1 ]; then
  [ -x /hx/node ] || fail "hx.archive=1 but no /hx/node in the initramfs"
  LD_LIBRARY_PATH=/lib/x86_64-linux-gnu /hx/node /hx/app/dist/cli/main.js archive /sys/fs/pstore --to /archive > /tmp/archive.log 2>&1
  echo "==ARCHIVE_EXIT $?==" > "$OUT"
  echo "==ARCHIVE_LOG==" > "$OUT"
  base64 /tmp/archive.log > "$OUT"
  echo "==END==" > "$OUT"
  for f in /archive/*/*; do
    [ -f "$f" ] || continue
    echo "==AFILE $(stat -c '%n %s %a %Y' "$f" | sed 's,^/archive/,,') $(stat -c '%y' "$f" | tr ' ' '_')==" > "$OUT"
    base64 "$f" > "$OUT"
    echo "==END==" > "$OUT"
  done
  echo "==LEFT $(ls /sys/fs/pstore | wc -l)==" > "$OUT"
fi
if [ "$ERASE" = 1 ]; then
  rm -f /sys/fs/pstore/* && echo "==ERASED==" > "$OUT"
fi
umount /sys/fs/pstore
echo "==DONE $(cut -d" " -f1 /proc/uptime)==" > "$OUT"
sync
poweroff -f
