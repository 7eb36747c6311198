# A closure of two store paths with no nixpkgs and no network: a static busybox (added to the store by the
# test with `nix-store --add`) as the builder, and a script that it runs.
{ busybox }:
derivation {
  name = "vm-exec-hello";
  system = builtins.currentSystem;
  builder = "${builtins.storePath busybox}/bin/busybox";
  args = [
    "sh"
    "-c"
    "mkdir -p $out/bin && printf '#!%s/bin/busybox sh\\necho hello from the nix store\\n' ${busybox} >$out/bin/hello && chmod +x $out/bin/hello"
  ];
}
