// Splits a command line into options the way the reference spiped's getopt
// does, so that odd command lines are accepted or refused exactly as there:
// short options may be grouped (`-dF`), an option's argument is either the
// rest of its word (`-o5`) or the next word (`-o 5`), long options are
// `--name` only (no abbreviations; `--name=value` is refused for an option
// without an argument), `--` ends the options, and scanning stops at the first
// word that is not an option (`-` alone counts as such a word). The scanner
// only reports what it saw; the per-program parsers decide what it means.
import SpipedNet

/// One option a program understands.
struct OptionDeclaration: Sendable {
    /// The full spelling, `-o` or `--syslog`.
    let name: String
    /// Whether the option takes an argument.
    let takesArgument: Bool
}

/// What the scanner found next.
enum ScannedArgument: Equatable, Sendable {
    /// A known option, with its argument when it takes one.
    case option(String, argument: String?)
    /// A known option that takes an argument, with none left on the line.
    case missingArgument(String)
    /// An option that is not declared (`-x`, `--foo`).
    case illegal(String)
}

/// Walks argv (without the program name) one option at a time.
struct ArgumentScanner {
    private let words: [String]
    private let declarations: [String: OptionDeclaration]
    /// Index of the word being scanned.
    private var index = 0
    /// Position inside a group of short options (`-dFj`), as a character offset; 0 = at a new word.
    private var groupOffset = 0
    /// Set once scanning has stopped (end of options or an error was reported).
    private var finished = false

    init(arguments: [String], options: [OptionDeclaration]) {
        words = arguments
        var table: [String: OptionDeclaration] = [:]
        for option in options { table[option.name] = option }
        declarations = table
    }

    /// The words left after the options: they are operands (both programs refuse any).
    var remainingOperands: ArraySlice<String> {
        words[min(index, words.count)...]
    }

    /// The next option, or nil at the end of the options.
    mutating func next() -> ScannedArgument? {
        if finished { return nil }
        if groupOffset > 0 { return nextInGroup() }
        guard index < words.count else { finished = true; return nil }
        let word = words[index]
        if word == "--" {
            index += 1
            finished = true
            return nil
        }
        guard word.hasPrefix("-"), word.count > 1 else {
            finished = true
            return nil
        }
        if word.hasPrefix("--") { return longOption(word) }
        groupOffset = 1
        return nextInGroup()
    }

    /// `--name` or `--name=value`.
    private mutating func longOption(_ word: String) -> ScannedArgument {
        index += 1
        var name = word
        var inlineValue: String?
        if let equals = word.firstIndex(of: "=") {
            name = String(word[..<equals])
            inlineValue = String(word[word.index(after: equals)...])
        }
        guard let declaration = declarations[name] else {
            finished = true
            return .illegal(name)
        }
        if !declaration.takesArgument {
            if inlineValue != nil { finished = true; return .illegal(name) }
            return .option(name, argument: nil)
        }
        if let inlineValue { return .option(name, argument: inlineValue) }
        guard index < words.count else { finished = true; return .missingArgument(name) }
        let value = words[index]
        index += 1
        return .option(name, argument: value)
    }

    /// The next letter of a short-option group such as `-dFj` or `-o5`.
    private mutating func nextInGroup() -> ScannedArgument {
        let word = Array(words[index])
        let name = "-" + String(word[groupOffset])
        groupOffset += 1
        let rest = String(word[groupOffset...])
        guard let declaration = declarations[name] else {
            finished = true
            return .illegal(name)
        }
        if !declaration.takesArgument {
            if rest.isEmpty { groupOffset = 0; index += 1 }
            return .option(name, argument: nil)
        }
        // An option with an argument takes the rest of the word, or the next word.
        groupOffset = 0
        index += 1
        if !rest.isEmpty { return .option(name, argument: rest) }
        guard index < words.count else { finished = true; return .missingArgument(name) }
        let value = words[index]
        index += 1
        return .option(name, argument: value)
    }
}
