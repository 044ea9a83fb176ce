#!/usr/bin/env bash
# What camera and microphone this board has, for scripts/install.sh.
#   detect-board.sh config      prints a wscam config (JSON) for the board: libcamera, v4l2 or test video,
#                               an ALSA capture device if there is one
#   detect-board.sh pi-camera   exits 0 when a Raspberry Pi camera module is connected (CSI receiver present)
# WSCAM_HW_ROOT prefixes /dev, /sys and /proc (tests point it at a fake tree); unset on a board.
set -euo pipefail

hw="${WSCAM_HW_ROOT:-}"

# Kernel names of CSI receivers (Pi 0-4: unicam, Pi 5: rp1-cfe); they appear only when a sensor is detected.
csi_receiver='^(unicam|rp1-cfe)'
# Video nodes of the Pi's codec, ISP and receivers: not cameras wscam can open with V4L2.
not_a_camera='^(unicam|rp1-cfe|bcm2835-codec|bcm2835-isp|rpivid|pispbe|rpi-hevc|hantro)'

pi_camera_present() {
  local name
  for name in "$hw"/sys/class/video4linux/video*/name; do
    [ -r "$name" ] && grep -Eq "$csi_receiver" "$name" && return 0
  done
  return 1
}

libcamera_tool() {
  local tool
  for tool in rpicam-vid libcamera-vid; do
    if command -v "$tool" >/dev/null 2>&1; then
      echo "$tool"
      return 0
    fi
  done
  return 1
}

# "0 : imx708 [4608x2592 10-bit RGGB] (/base/...)" is a camera line; "No cameras available!" has none.
libcamera_lists_a_camera() {
  local tool
  tool=$(libcamera_tool) || return 1
  timeout 30 "$tool" --list-cameras 2>&1 | grep -Eq '^[[:space:]]*[0-9]+ : '
}

# A V4L2 node that captures video: v4l2-ctl says so where installed, else sysfs (first node of its device,
# not one of the Pi's internal nodes; a UVC camera's second node is metadata).
is_capture_node() {
  local dev="$1" node sys
  node=$(basename "$dev")
  if command -v v4l2-ctl >/dev/null 2>&1; then
    v4l2-ctl --device "$dev" --info 2>/dev/null | sed -n '/Device Caps/,$p' | grep -q 'Video Capture'
    return
  fi
  sys="$hw/sys/class/video4linux/$node"
  [ -r "$sys/name" ] || return 1
  grep -Eq "$not_a_camera" "$sys/name" && return 1
  [ ! -r "$sys/index" ] || [ "$(cat "$sys/index")" = 0 ]
}

first_v4l2_camera() {
  local dev
  for dev in "$hw"/dev/video*; do
    [ -e "$dev" ] || continue
    if is_capture_node "$dev"; then
      echo "/dev/$(basename "$dev")"
      return 0
    fi
  done
  return 1
}

# "card 1: Device [USB Audio Device], device 0: USB Audio [USB Audio]" -> plughw:1,0 (plug converts rate and format).
first_alsa_capture() {
  local line
  if command -v arecord >/dev/null 2>&1; then
    line=$(arecord -l 2>/dev/null | grep -E '^card [0-9]+: .*, device [0-9]+:' | head -n 1) || true
    if [ -n "$line" ]; then
      echo "$line" | sed -E 's/^card ([0-9]+):.*, device ([0-9]+):.*/plughw:\1,\2/'
      return 0
    fi
    return 1
  fi
  # Without alsa-utils: /proc/asound/pcm lines read "01-00: USB Audio : USB Audio : capture 1".
  [ -r "$hw/proc/asound/pcm" ] || return 1
  line=$(grep -E ': capture [0-9]+' "$hw/proc/asound/pcm" | head -n 1) || true
  [ -n "$line" ] || return 1
  echo "$line" | sed -E 's/^0*([0-9]+)-0*([0-9]+):.*/plughw:\1,\2/'
}

video_section() {
  local device
  if libcamera_lists_a_camera; then
    echo '"video": { "source": "libcamera", "width": 1280, "height": 720, "fps": 15, "quality": 80, "libcameraArgs": [] }'
  elif device=$(first_v4l2_camera); then
    printf '"video": { "source": "v4l2", "device": "%s", "inputFormat": "auto", "width": 640, "height": 480, "fps": 15 }\n' "$device"
  else
    echo '"video": { "source": "test" }'
  fi
}

# A board with neither camera nor microphone gets the test picture and tone, so the viewer shows it works.
audio_section() {
  local video="$1" device
  if device=$(first_alsa_capture); then
    printf '"audio": { "enabled": true, "source": "alsa", "device": "%s", "codec": "pcm" }\n' "$device"
  elif [[ "$video" == *'"test"'* ]]; then
    echo '"audio": { "enabled": true, "source": "test" }'
  else
    echo '"audio": { "enabled": false }'
  fi
}

print_config() {
  local video
  video=$(video_section)
  cat <<EOF
{
  "\$schema": "/opt/wscam/config/schema.json",
  "server": { "host": "0.0.0.0", "port": 8080 },
  "auth": { "users": [], "tokens": [] },
  $video,
  $(audio_section "$video")
}
EOF
}

case "${1:-config}" in
  config) print_config ;;
  pi-camera) pi_camera_present ;;
  *)
    echo "usage: $0 [config|pi-camera]" >&2
    exit 2
    ;;
esac
