import sys

from policy_kb.cli import main

sys.exit(main())
