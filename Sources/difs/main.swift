// The difs executable: `difs IMAGE MOUNTPOINT [-f] [-d] [-s] [-o OPT,...]` mounts; a first word
// naming a subcommand runs it instead.
import DifsCommandLine
import DifsCore
import DifsFuse
#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
// `create`, `check`, `inject`, `show` and `map` as a first word are subcommands; an image literally named so is
// mounted as `./check`.
switch arguments.first {
case "create": exit(Create.main(Array(arguments.dropFirst())))
case "check": exit(Check.main(Array(arguments.dropFirst())))
case "inject": exit(Inject.main(Array(arguments.dropFirst())))
case "show": exit(Show.main(Array(arguments.dropFirst())))
case "map": exit(Map.main(Array(arguments.dropFirst())))
default: exit(Mount.main(arguments))
}
