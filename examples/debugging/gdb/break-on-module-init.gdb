# gdb commands for break-on-module-init.mjs (the session of docs/debugging.md, in batch mode): stop in
# dummy's init function as `modprobe dummy numdummies=2` loads it, show the stack and the parameter.
break do_init_module
continue
print mod->name
module-symbols /usr/lib/debug/lib/modules/$release/kernel/drivers/net/dummy.ko
break dummy_init_module
continue
backtrace 6
print numdummies
detach
