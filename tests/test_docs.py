"""The documentation holds together: every relative link and anchor resolves, every config and
tool a command block names exists, and no page a user reads speaks of how it was made."""
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Iterator, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]

FENCE = re.compile(r'^(```|~~~).*?^\1[ \t]*$', re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r'(`+)(?!`).+?(?<!`)\1(?!`)', re.DOTALL)
LINK = re.compile(r'!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
HEADING = re.compile(r'^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$', re.MULTILINE)
HTML_ANCHOR = re.compile(r'<a\s+(?:name|id)="([^"]+)"', re.IGNORECASE)
# a path a command names, as the start of a shell word (so `projects/x/configs/y.py` is not
# read as `configs/y.py`)
COMMAND_PATH = re.compile(r'(?<![\w./$-])((?:configs|tools|projects)/[\w./{},+-]*[\w}])')
SESSION_WORDS = re.compile(r'\b(?:[Ii]ssue \d|this session|we found)')
HEX_TOKEN = re.compile(r'(?<![\w./-])[0-9a-f]{7,40}(?![\w/-])')


def pages() -> List[Path]:
    found = {ROOT / 'README.md'}
    found.update((ROOT / 'docs').rglob('*.md'))
    found.update((ROOT / 'configs').rglob('README.md'))
    found.update((ROOT / 'projects').rglob('README.md'))
    return sorted(p for p in found if p.is_file())


def user_pages() -> List[Path]:
    """The pages on a user's path: everything but the study notes."""
    notes = ROOT / 'docs' / 'notes'
    return [p for p in pages() if notes not in p.parents]


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def prose(text: str) -> str:
    """Text without fenced blocks and inline code (links in them are not links)."""
    return INLINE_CODE.sub(' ', FENCE.sub('\n', text))


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, everything but letters,
    digits, spaces, hyphens and underscores removed, each space a hyphen."""
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', heading)  # a link keeps its text
    text = re.sub(r'<[^>]+>', '', text).replace('`', '')
    text = re.sub(r'(\*\*|__|\*)', '', text).strip().lower()
    text = ''.join(c for c in text if c.isalnum() or c in ' -_')
    return text.replace(' ', '-')


def anchors(path: Path) -> Set[str]:
    text = FENCE.sub('\n', path.read_text(encoding='utf-8'))
    seen: dict = {}
    result = set(HTML_ANCHOR.findall(text))
    for _, heading in HEADING.findall(text):
        slug = github_slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f'{slug}-{count}')
    return result


def links(path: Path) -> Iterator[str]:
    for target in LINK.findall(prose(path.read_text(encoding='utf-8'))):
        if re.match(r'^[a-z][a-z0-9+.-]*:', target, re.IGNORECASE):
            continue  # http(s):, mailto: ...
        yield target


def expand_braces(word: str) -> List[str]:
    """`a_{x,y}.py` -> [`a_x.py`, `a_y.py`], as the shell expands it."""
    match = re.search(r'\{([^{}]*,[^{}]*)\}', word)
    if not match:
        return [word]
    return [
        w for option in match.group(1).split(',')
        for w in expand_braces(word[:match.start()] + option + word[match.end():])
    ]


def command_paths(path: Path) -> Iterator[Tuple[str, str]]:
    """(path as written, one expansion) for every config/tool/project path in a fenced
    block; placeholders (<...>, $VAR, *, ...) are skipped, and so are ```text blocks (what a
    tool prints, e.g. an error that names a config which no longer exists)."""
    for block in FENCE.finditer(path.read_text(encoding='utf-8')):
        lines = block.group(0).splitlines()
        if lines[0].strip('`~ ').lower() == 'text':
            continue
        for line in lines[1:-1]:
            for word in COMMAND_PATH.findall(line):
                word = word.rstrip('.,')
                if re.search(r'[<>*$]|\.\.\.|\bCONFIG\b|\bCKPT\b', word):
                    continue
                for one in expand_braces(word):
                    if re.search(r'[{}]', one):
                        continue
                    yield word, one


PAGES = pages()
USER_PAGES = user_pages()


def test_the_pages_are_found():
    names = {rel(p) for p in PAGES}
    assert 'README.md' in names and 'docs/get_started.md' in names
    assert any(n.startswith('docs/user_guides/') for n in names)
    assert not any(n.startswith('docs/notes/') for n in map(rel, USER_PAGES))


def test_slug_follows_github():
    assert github_slug('GPU-sized configs (128 and 256 px on `flow_unet_base`)') == \
        'gpu-sized-configs-128-and-256-px-on-flow_unet_base'
    assert github_slug('Stage 2 on real polyps: Kvasir-SEG → CVC-ClinicDB (CPU, 32 px)') == \
        'stage-2-on-real-polyps-kvasir-seg--cvc-clinicdb-cpu-32-px'
    assert expand_braces('a_{x,y}_{1,2}.py') == ['a_x_1.py', 'a_x_2.py', 'a_y_1.py', 'a_y_2.py']


@pytest.mark.parametrize('page', PAGES, ids=rel)
def test_relative_links_and_anchors_resolve(page):
    broken = []
    for target in links(page):
        file_part, _, anchor = target.partition('#')
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(f'{target} (no such file: {rel(dest) if ROOT in dest.parents else dest})')
        elif anchor and dest.suffix == '.md' and anchor not in anchors(dest):
            broken.append(f'{target} (no heading with anchor #{anchor} in {rel(dest)})')
    assert not broken, f'{rel(page)}: broken links:\n  ' + '\n  '.join(broken)


@pytest.mark.parametrize('page', PAGES, ids=rel)
def test_command_blocks_name_existing_configs_and_tools(page):
    missing = sorted({f'{word} ({one})' if word != one else word
                      for word, one in command_paths(page) if not (ROOT / one).exists()})
    assert not missing, f'{rel(page)}: command blocks name paths that do not exist:\n  ' + \
        '\n  '.join(missing)


@pytest.mark.parametrize('page', USER_PAGES, ids=rel)
def test_user_pages_do_not_tell_how_they_were_made(page):
    text = page.read_text(encoding='utf-8')
    found = [m.group(0) for m in SESSION_WORDS.finditer(text)]
    found += [f'commit-like token {t}' for t in HEX_TOKEN.findall(prose(text))
              if re.search(r'\d', t) and re.search(r'[a-f]', t)]
    assert not found, f'{rel(page)} speaks of how it was made: {found}'


def tool_commands(path: Path) -> Iterator[Tuple[str, List[str]]]:
    """(tools/x.py, the --options written after it) for every command in a fenced block."""
    for block in FENCE.finditer(path.read_text(encoding='utf-8')):
        lines = block.group(0).splitlines()
        if lines[0].strip('`~ ').lower() not in ('bash', 'sh', 'shell', ''):
            continue
        text = re.sub(r'\\\n', ' ', '\n'.join(lines[1:-1]))
        for line in text.splitlines():
            line = line.split(' #')[0]
            for command in re.split(r'&&|\|\||;|(?<!\[)\|(?! --)', line):
                words = command.split()
                tools = [i for i, w in enumerate(words) if re.fullmatch(r'tools/[\w/]+\.py', w)]
                if tools:
                    options = [w.strip('[]()').split('=')[0] for w in words[tools[0] + 1:]]
                    yield words[tools[0]], [o for o in options if re.fullmatch(r'--[\w-]+', o)]


@lru_cache(maxsize=None)
def tool_options(tool: str) -> frozenset:
    """The --options a tool's argparse help lists."""
    result = subprocess.run([sys.executable, str(ROOT / tool), '--help'], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f'{tool} --help failed:\n{result.stderr[-2000:]}'
    return frozenset(re.findall(r'(?<![\w-])--[\w-]+', result.stdout))


def test_commands_use_options_their_tools_have():
    """Every --option a command on a user page gives a Python tool is one the tool takes."""
    wrong = sorted({f'{rel(page)}: {tool} {option}'
                    for page in USER_PAGES for tool, options in tool_commands(page)
                    if (ROOT / tool).is_file()
                    for option in options if option not in tool_options(tool)})
    assert not wrong, 'options the tools do not have:\n  ' + '\n  '.join(wrong)
