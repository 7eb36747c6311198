# A gdb command that loads an out-of-tree kernel module's symbols at the addresses where the guest kernel
# placed its sections, for kernels without the `lx-symbols` helper (Debian builds without
# CONFIG_GDB_SCRIPTS). Use it in gdb with the kernel's debug vmlinux loaded:
#
#   (gdb) source examples/debugging/gdb/module-symbols.py
#   (gdb) module-symbols path/to/my_module.ko
#
# The module is found by its name (the .ko file name, `-` read as `_`) in the kernel's list of modules.
# A module whose init function runs right now is in that list too: stop at `do_init_module` first to set
# a breakpoint on its init function.
import os

import gdb


def find_module(name):
    """The `struct module *` named `name` in the kernel's `modules` list, or None."""
    head = gdb.parse_and_eval("&modules")
    module_type = gdb.lookup_type("struct module").pointer()
    # struct module embeds its list_head as `list`: walk the list and step back to the module.
    offset = int(gdb.parse_and_eval("(unsigned long)&((struct module *)0)->list"))
    node = head["next"]
    while node != head:
        module = gdb.Value(int(node) - offset).cast(module_type)
        if module["name"].string() == name:
            return module
        node = node["next"]
    return None


def section_addresses(module):
    """{section name: address}, as /sys/module/NAME/sections shows them."""
    attrs = module["sect_attrs"]
    sections = {}
    for i in range(int(attrs["nsections"])):
        attr = attrs["attrs"][i]
        sections[attr["battr"]["attr"]["name"].string()] = int(attr["address"])
    return sections


class ModuleSymbols(gdb.Command):
    """module-symbols FILE.ko: load FILE.ko's symbols at its sections' addresses in the guest kernel."""

    def __init__(self):
        super().__init__("module-symbols", gdb.COMMAND_FILES, gdb.COMPLETE_FILENAME)

    def invoke(self, argument, from_tty):
        path = os.path.abspath(os.path.expanduser(argument.strip()))
        name = os.path.basename(path).removesuffix(".ko").replace("-", "_")
        module = find_module(name)
        if module is None:
            raise gdb.GdbError(f"no module {name} in the guest kernel: load it first (break do_init_module)")
        sections = section_addresses(module)
        # The symbol and string tables the kernel keeps for kallsyms are not sections of the .ko file.
        skip = {".text", ".symtab", ".strtab"}
        others = " ".join(f"-s {section} {address:#x}" for section, address in sections.items() if section not in skip)
        gdb.execute(f"add-symbol-file {path} {sections['.text']:#x} {others}", from_tty=False)


ModuleSymbols()
