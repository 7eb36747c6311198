# vm-exec's guest init, the part that sets up network cards: sourced by init.sh (PID 1), whose variables
# (R, the VMX_* settings from boot.env) and functions (log, die) it uses.
# shellcheck shell=sh
# shellcheck disable=SC2154,SC2153

# Network cards exist only when asked for. Their drivers load here, after "go", so a VM without one pays
# nothing, and every per-VM setting comes from boot.env: a snapshot taken at "ready" suits every VM.
# A card is found by the fixed MAC QEMU gave it (the same in every VM, so the device set is too).
nic() {
	# t only counts the tries: 20 of 0.1 s.
	# shellcheck disable=SC2034
	for t in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		for d in /sys/class/net/*; do
			[ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && { basename "$d"; return 0; }
		done
		usleep 100000
	done
	return 1
}
configure_network() {
	while read -r module; do
		insmod "/lib/modules/$module" || log "insmod $module failed"
	done </etc/vm-exec/net-modules
	if [ -n "$VMX_NAT_NIC" ]; then
		# As the seed does it: QEMU's user-mode network, the host (its loopback) is 10.0.2.2, DNS is 10.0.2.3.
		i=$(nic "$VMX_NAT_NIC") || die "the network card $VMX_NAT_NIC did not appear (is virtio_net in the initramfs?)"
		{ ip link set "$i" up && ip addr add 10.0.2.15/24 dev "$i" && ip route add default via 10.0.2.2 dev "$i"; } || die "cannot configure the network card $i"
		rm -f "$R/etc/hosts" "$R/etc/resolv.conf"
		printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.2.15\t%s\n' "$VMX_HOSTNAME" >"$R/etc/hosts"
		[ -n "$VMX_HOST_NAMES" ] && printf '10.0.2.2\t%s\n' "$VMX_HOST_NAMES" >>"$R/etc/hosts"
		echo "nameserver 10.0.2.3" >"$R/etc/resolv.conf"
	fi
	if [ -n "$VMX_LAN_NIC" ]; then
		i=$(nic "$VMX_LAN_NIC") || die "the LAN card $VMX_LAN_NIC did not appear (is virtio_net in the initramfs?)"
		# VMX_* come from boot.env.
		# shellcheck disable=SC2153
		{ ip link set "$i" address "$VMX_LAN_MAC" && ip link set "$i" up && ip addr add "$VMX_LAN_ADDR" dev "$i"; } || die "cannot configure the LAN card $i as $VMX_LAN_ADDR"
	fi
}
