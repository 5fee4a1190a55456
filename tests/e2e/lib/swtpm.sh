# Sourced by the end-to-end scripts that need a live TPM.
#   start_swtpm WORKDIR BANKS   starts a swtpm 0.7 on loopback with the given PCR banks
#                               ("sha1,sha256"), exports TPM2TOOLS_TCTI and sets swtpm_pid
#   flush                       frees the transient objects tpm2-tools leave behind (no resource
#                               manager on this TCTI)
# The caller kills "$swtpm_pid" in its own EXIT trap.

# The swtpm TCTI talks to the control channel on server port + 1, so find two consecutive free
# loopback ports (probing by binding), which keeps parallel runs from colliding.
free_swtpm_ports() {
  python3 -c '
import random, socket
for _ in range(200):
    port = random.randrange(20000, 60000)
    socks = []
    try:
        for p in (port, port + 1):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", p))
        print(port, port + 1)
        break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
else:
    raise SystemExit("no free port pair")'
}

start_swtpm() {
  local work=$1 banks=$2 server_port ctrl_port
  read -r server_port ctrl_port < <(free_swtpm_ports)
  mkdir -p "$work/state"
  swtpm_setup --tpm2 --tpmstate "$work/state" --pcr-banks "$banks" --overwrite >/dev/null
  swtpm socket --tpm2 --tpmstate dir="$work/state" \
    --server type=tcp,port="$server_port",bindaddr=127.0.0.1 \
    --ctrl type=tcp,port="$ctrl_port",bindaddr=127.0.0.1 \
    --flags not-need-init,startup-clear --pid file="$work/swtpm.pid" --daemon
  for _ in $(seq 50); do [[ -s "$work/swtpm.pid" ]] && break; sleep 0.1; done
  swtpm_pid=$(cat "$work/swtpm.pid")
  export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$server_port"
}

flush() { tpm2_flushcontext -t >/dev/null; }
