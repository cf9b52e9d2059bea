// `podpath completion bash|zsh|fish`: a shell completion script for podpath's commands and
// their options, written from commander's own command list (so it can never drift from the
// options podpath really has). The scripts are static text, no shell hook calls back into
// podpath, which is why no completion framework is used.
//   bash: source <(podpath completion bash)      zsh: source <(podpath completion zsh)
//   fish: podpath completion fish | source
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';

interface Described {
  name: string;
  description: string;
  options: { flags: string[]; description: string; takesValue: boolean }[];
}

function describeCommands(program: Command): Described[] {
  return program.commands
    .filter((c) => c.name() !== 'help')
    .map((c) => ({
      name: c.name(),
      description: c.description().split(/[.(:;]/)[0]!.trim(),
      options: c.options.map((o) => ({
        flags: [o.short, o.long].filter((f): f is string => f !== undefined),
        description: o.description,
        takesValue: o.required || o.optional,
      })),
    }));
}

/** Single quotes for the shells: the text ends the quote, an escaped quote, and reopens it. */
const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(commands: Described[]): string {
  const cases = commands
    .map((c) => `    ${c.name}) opts=${quote(c.options.flatMap((o) => o.flags).join(' '))} ;;`)
    .join('\n');
  return `# podpath bash completion: source <(podpath completion bash)
_podpath() {
  local cur prev words cword
  cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W ${quote(['help', ...commands.map((c) => c.name)].join(' '))} -- "$cur") )
    return
  fi
  local opts=""
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o filenames -F _podpath podpath kubectl-podpath
`;
}

function zsh(commands: Described[]): string {
  const list = commands.map((c) => `    ${quote(`${c.name}:${c.description.replace(/:/g, '\\:')}`)}`).join('\n');
  const cases = commands
    .map((c) => {
      const specs = c.options.map((o) => {
        const text = o.description.replace(/[[\]:]/g, ' ');
        const value = o.takesValue ? ':value:_files' : '';
        return o.flags.length > 1
          ? `      ${quote(`(${o.flags.join(' ')})`)}{${o.flags.join(',')}}${quote(`[${text}]${value}`)}`
          : `      ${quote(`${o.flags[0]}[${text}]${value}`)}`;
      });
      return `    ${c.name})\n      _arguments -s \\\n${[...specs, "      '*:file:_files'"].join(' \\\n')}\n      ;;`;
    })
    .join('\n');
  return `#compdef podpath kubectl-podpath
# podpath zsh completion: source <(podpath completion zsh)
_podpath() {
  local -a commands
  commands=(
${list}
  )
  if (( CURRENT == 2 )); then
    _describe 'podpath command' commands
    return
  fi
  case "$words[2]" in
${cases}
  esac
}
compdef _podpath podpath kubectl-podpath
`;
}

function fish(commands: Described[]): string {
  const lines = ['# podpath fish completion: podpath completion fish | source'];
  for (const program of ['podpath', 'kubectl-podpath']) {
    lines.push(`complete -c ${program} -f -n '__fish_use_subcommand' -a help -d 'help for a command'`);
    for (const c of commands) {
      lines.push(`complete -c ${program} -f -n '__fish_use_subcommand' -a ${c.name} -d ${quote(c.description)}`);
      for (const o of c.options) {
        const long = o.flags.find((f) => f.startsWith('--'))?.slice(2);
        const short = o.flags.find((f) => /^-[^-]$/.test(f))?.slice(1);
        const parts = [`complete -c ${program} -n '__fish_seen_subcommand_from ${c.name}'`];
        if (long) parts.push(`-l ${long}`);
        if (short) parts.push(`-s ${short}`);
        if (o.takesValue) parts.push('-r');
        parts.push(`-d ${quote(o.description)}`);
        lines.push(parts.join(' '));
      }
    }
  }
  return lines.join('\n') + '\n';
}

const SHELLS = { bash, zsh, fish } as const;

export function register(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(podpath completion bash) (also zsh; fish: podpath completion fish | source)')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => {
      const write = SHELLS[shell as keyof typeof SHELLS];
      if (write === undefined) throw new UsageError(`completion ${shell}: expected bash, zsh or fish`);
      process.stdout.write(write(describeCommands(program)));
    });
}
