"""Every relative link and image in README.md and docs/*.md resolves to a file of the repository.

Usage: links_test.py   (run by CTest: docs/links)
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pages = [os.path.join(ROOT, 'README.md')] + sorted(glob.glob(os.path.join(ROOT, 'docs', '*.md')))
link = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)\)')
checked, broken = 0, []
for page in pages:
    text = open(page, encoding='utf-8').read()
    text = re.sub(r'```.*?```', '', text, flags=re.S)  # links inside code blocks are code
    for target in link.findall(text):
        if re.match(r'[a-z]+:', target) or target.startswith('#'):
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(page), target.split('#')[0]))
        checked += 1
        if not os.path.exists(path):
            broken.append(f'{os.path.relpath(page, ROOT)}: {target}')
for b in broken:
    print('FAIL broken link', b)
print(f'links_test: {checked - len(broken)} passed, {len(broken)} failed')
sys.exit(1 if broken or checked == 0 else 0)
