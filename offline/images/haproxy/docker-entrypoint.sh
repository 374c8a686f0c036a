#!/bin/sh
# Entry point of keycloak-cluster/haproxy, as in the official haproxy image: options alone
# mean "haproxy with these options"; haproxy always runs in master-worker mode (-W) in the
# foreground (-db), so the container lives as long as HAProxy and `docker logs` shows its log.
set -e

# First argument is an option (-f, -d, ...): run haproxy with them.
if [ "${1#-}" != "$1" ]; then
  set -- haproxy "$@"
fi

if [ "$1" = haproxy ]; then
  shift
  cfg=/usr/local/etc/haproxy/haproxy.cfg
  case " $* " in
    *" -f "*) ;;
    *) set -- -f "$cfg" "$@" ;;
  esac
  if [ "$*" = "-f $cfg" ] && [ ! -f "$cfg" ]; then
    echo "error: $cfg not found: mount your configuration there (docker run -v ./haproxy.cfg:$cfg:ro ...)" >&2
    exit 1
  fi
  set -- haproxy -W -db "$@"
fi

exec "$@"
