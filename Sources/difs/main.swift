// The difs executable: `difs IMAGE MOUNTPOINT [-f] [-d] [-s] [-o OPT,...]` mounts; a first word
// naming a subcommand runs it instead.
import DifsCommandLine
import DifsCore
import DifsFuse
#if canImport(Glibc)
import Glibc
#endif

// The arguments as the kernel gave them: paths keep their bytes whatever their encoding
// (CommandLine.arguments would repair invalid UTF-8 into U+FFFD and so name another file). The
// parsers read the text; operands that are paths are taken from the bytes.
let argumentBytes: [[UInt8]] = (1..<Int(CommandLine.argc)).map { i in
    SystemPath(cString: CommandLine.unsafeArgv[i]!).bytes
}
let arguments = Arguments(bytes: argumentBytes)
// `create`, `check`, `inject`, `show`, `map`, `identify` and `convert` as a first word are
// subcommands; an image literally named so is mounted as `./check`.
switch arguments.texts.first {
case "create": exit(Create.main(arguments.dropFirst()))
case "check": exit(Check.main(arguments.dropFirst()))
case "inject": exit(Inject.main(arguments.dropFirst()))
case "show": exit(Show.main(arguments.dropFirst()))
case "map": exit(Map.main(arguments.dropFirst()))
case "identify": exit(IdentifyCommand.main(arguments.dropFirst()))
case "convert": exit(ConvertCommand.main(arguments.dropFirst()))
default: exit(Mount.main(arguments))
}
