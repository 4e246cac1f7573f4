"""Finding blurkit's C++ tools and passing Python keyword options to them (bench.py, export.py)."""
import os
import shutil


def find_tool(name, explicit=None):
    """The executable `name` (blurkit-bench, blurkit-synth): `explicit` if given, else
    $BLURKIT_BENCH / $BLURKIT_SYNTH, else PATH, else the source checkout's build/<module>/<name>, else
    the installation's bin/ beside this package."""
    if explicit:
        return os.fspath(explicit)
    module = name.split('-', 1)[1]
    env = 'BLURKIT_' + module.upper()
    if os.environ.get(env):
        return os.environ[env]
    found = shutil.which(name)
    if found:
        return found
    package = os.path.dirname(os.path.abspath(__file__))
    # A source checkout: python/blurkit beside build/<module>/.
    checkout = os.path.join(os.path.dirname(os.path.dirname(package)), 'build', module, name)
    # Installed (docs/install.md): PREFIX/lib/python3/dist-packages/blurkit beside PREFIX/bin.
    installed = os.path.normpath(os.path.join(package, '..', '..', '..', '..', 'bin', name))
    for candidate in (checkout, installed):
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(f'{name} not found: pass {module}=PATH, set {env}, or put it on PATH '
                            f'(scripts/setup.sh builds it in build/{module}/)')


def cli_flags(options):
    """Keyword options as command-line flags: underscores become dashes, True is a bare flag,
    False and None are left out."""
    args = []
    for key, value in options.items():
        flag = '--' + key.replace('_', '-')
        if value is True:
            args.append(flag)
        elif value is not False and value is not None:
            args += [flag, str(value)]
    return args
