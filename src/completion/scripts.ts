/**
 * `sciml completion bash|zsh|fish`: scripts written from the command tree (tree.ts), so a new
 * command or option completes without anyone editing them. Each script has the same four tables
 * (subcommands, options, options that take a value, their choices) keyed by the command path
 * (`''`, `runs`, `runs gc`) and the same walk: the words typed so far, skipping option values,
 * pick the path; then the current word completes as an option, an option's value, a subcommand
 * or a file.
 */
import type { CompletionNode, CompletionOption } from './tree.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** A single-quoted POSIX-shell word. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const flagsOf = (options: CompletionOption[]) => options.flatMap((o) => o.flags);
const valued = (options: CompletionOption[]) => options.filter((o) => o.takesValue);

/** `case` tables shared by bash and zsh (both read POSIX `case`). */
function posixTables(nodes: CompletionNode[], prefix: string): string {
  const table = (name: string, doc: string, row: (n: CompletionNode) => string[]) => {
    const lines = [`# ${doc}`, `${prefix}_${name}() {`, '  case "$1" in'];
    for (const n of nodes) {
      const words = row(n);
      if (words.length) lines.push(`    ${sq(n.path)}) echo ${sq(words.join(' '))} ;;`);
    }
    lines.push('  esac', '}');
    return lines.join('\n');
  };
  const choices = [
    '# the values an option accepts ($1 the command path, $2 the option)',
    `${prefix}_choices() {`,
    '  case "$1|$2" in',
  ];
  for (const n of nodes)
    for (const o of valued(n.options))
      if (o.choices.length)
        for (const f of o.flags) choices.push(`    ${sq(`${n.path}|${f}`)}) echo ${sq(o.choices.join(' '))} ;;`);
  choices.push('  esac', '}');
  return [
    table('subcommands', 'subcommands of a command path', (n) => n.subcommands.map((s) => s.name)),
    table('options', "options accepted at a command path (its own, its parents' and --help)", (n) =>
      flagsOf(n.options),
    ),
    table('valued', 'options that take a value', (n) => flagsOf(valued(n.options))),
    table('arguments', "the values of a command's first argument, when it has a fixed set", (n) => n.argumentChoices),
    choices.join('\n'),
  ].join('\n');
}

/** The walk over the typed words, in bash/zsh syntax: sets `cmdpath` and `skip` (1: the current word is an option's value). */
function posixWalk(first: string, last: string, word: (i: string) => string): string {
  return `  local cmdpath='' w i skip=0
  for ((i = ${first}; i < ${last}; i++)); do
    w="${word('i')}"
    if ((skip)); then skip=0; continue; fi
    if [[ $w == -* ]]; then
      if [[ $w != *=* && " $(_sciml_valued "$cmdpath") " == *" $w "* ]]; then skip=1; fi
      continue
    fi
    if [[ " $(_sciml_subcommands "$cmdpath") " == *" $w "* ]]; then cmdpath="\${cmdpath:+$cmdpath }$w"; fi
  done`;
}

function bashScript(nodes: CompletionNode[]): string {
  return `# sciml completion for bash, generated from sciml's command tree by \`sciml completion bash\`.
# Load it with: source <(sciml completion bash)   (or save it in ~/.local/share/bash-completion/completions/sciml)
${posixTables(nodes, '_sciml')}

_sciml() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
${posixWalk('1', 'COMP_CWORD', (i) => `\${COMP_WORDS[${i}]}`)}
  if ((skip)); then
    local choices
    choices="$(_sciml_choices "$cmdpath" "\${COMP_WORDS[COMP_CWORD-1]}")"
    if [[ -n $choices ]]; then COMPREPLY=($(compgen -W "$choices" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_sciml_options "$cmdpath")" -- "$cur"))
    return 0
  fi
  local subs
  subs="$(_sciml_subcommands "$cmdpath") $(_sciml_arguments "$cmdpath")"
  if [[ -n \${subs// /} ]]; then COMPREPLY=($(compgen -W "$subs" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
  return 0
}
complete -o filenames -o bashdefault -F _sciml sciml
`;
}

function zshScript(nodes: CompletionNode[]): string {
  const described = (name: string, row: (n: CompletionNode) => { word: string; description: string }[]) => {
    const lines = [`_sciml_described_${name}() {`, '  case "$1" in'];
    for (const n of nodes) {
      const items = row(n);
      if (items.length)
        lines.push(
          `    ${sq(n.path)}) print -rl -- ${items.map((i) => sq(`${i.word.replace(/:/g, '\\:')}:${oneLine(i.description)}`)).join(' ')} ;;`,
        );
    }
    lines.push('  esac', '}');
    return lines.join('\n');
  };
  return `#compdef sciml
# sciml completion for zsh, generated from sciml's command tree by \`sciml completion zsh\`.
# Load it with: source <(sciml completion zsh)   (or save it as _sciml in a folder of $fpath)
${posixTables(nodes, '_sciml')}
# subcommands and options with their descriptions, for _describe
${described('subcommands', (n) => n.subcommands.map((s) => ({ word: s.name, description: s.description })))}
${described('options', (n) => n.options.flatMap((o) => o.flags.map((f) => ({ word: f, description: o.description }))))}

_sciml() {
  local cur="\${words[CURRENT]}"
${posixWalk('2', 'CURRENT', (i) => `\${words[${i}]}`)}
  local -a items
  if ((skip)); then
    local choices="$(_sciml_choices "$cmdpath" "\${words[CURRENT-1]}")"
    if [[ -n $choices ]]; then compadd -- \${=choices}; else _files; fi
    return
  fi
  if [[ $cur == -* ]]; then
    items=("\${(@f)$(_sciml_described_options "$cmdpath")}")
    _describe -t options 'option' items
    return
  fi
  local arguments="$(_sciml_arguments "$cmdpath")"
  if [[ -n "$(_sciml_subcommands "$cmdpath")" ]]; then
    items=("\${(@f)$(_sciml_described_subcommands "$cmdpath")}")
    _describe -t commands 'command' items
  elif [[ -n $arguments ]]; then
    compadd -- \${=arguments}
  else
    _files
  fi
}

if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _sciml "$@"
else
  compdef _sciml sciml
fi
`;
}

function fishScript(nodes: CompletionNode[]): string {
  const fq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const switchTable = (name: string, row: (n: CompletionNode) => string[]) => {
    const lines = [`function __sciml_${name}`, '    switch "$argv[1]"'];
    for (const n of nodes) {
      const words = row(n);
      if (words.length)
        lines.push(`        case ${fq(n.path)}`, `            printf '%s\\n' ${words.map(fq).join(' ')}`);
    }
    lines.push('    end', 'end');
    return lines.join('\n');
  };
  const out = [
    `# sciml completion for fish, generated from sciml's command tree by \`sciml completion fish\`.`,
    '# Load it with: sciml completion fish | source   (or save it as ~/.config/fish/completions/sciml.fish)',
    switchTable('subcommands', (n) => n.subcommands.map((s) => s.name)),
    switchTable('valued', (n) => flagsOf(valued(n.options))),
    `# the command path of the words typed so far ('', 'runs', 'runs gc')
function __sciml_cmdpath
    set -l cmdpath ''
    set -l skip 0
    for w in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        if string match -q -- '-*' $w
            if not string match -q -- '*=*' $w; and contains -- $w (__sciml_valued "$cmdpath")
                set skip 1
            end
            continue
        end
        if contains -- $w (__sciml_subcommands "$cmdpath")
            set cmdpath (string trim -- "$cmdpath $w")
        end
    end
    echo $cmdpath
end
function __sciml_at
    set -l p (__sciml_cmdpath)
    test "$p" = "$argv[1]"
end`,
    'complete -c sciml -f',
  ];
  for (const n of nodes) {
    const at = `-n ${fq(`__sciml_at ${fq(n.path)}`)}`;
    for (const s of n.subcommands)
      out.push(`complete -c sciml ${at} -a ${fq(s.name)} -d ${fq(oneLine(s.description))}`);
    if (n.argumentChoices.length) out.push(`complete -c sciml ${at} -a ${fq(n.argumentChoices.join(' '))}`);
    else if (n.subcommands.length === 0) out.push(`complete -c sciml ${at} -F`);
    for (const o of n.options) {
      const names = o.flags
        .map((f) => (f.startsWith('--') ? `-l ${fq(f.slice(2))}` : `-s ${fq(f.slice(1))}`))
        .join(' ');
      const value = !o.takesValue ? '' : o.choices.length ? ` -x -a ${fq(o.choices.join(' '))}` : ' -r -F';
      out.push(`complete -c sciml ${at} ${names}${value} -d ${fq(oneLine(o.description))}`);
    }
  }
  return out.join('\n') + '\n';
}

export function completionScript(shell: Shell, nodes: CompletionNode[]): string {
  return shell === 'bash' ? bashScript(nodes) : shell === 'zsh' ? zshScript(nodes) : fishScript(nodes);
}
