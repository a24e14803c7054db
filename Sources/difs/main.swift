// The difs executable: `difs IMAGE MOUNTPOINT [-f] [-d] [-s] [-o OPT,...]` mounts; a first word
// naming a subcommand runs it instead.
import DifsCore
import DifsFuse
#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
exit(Mount.main(arguments))
