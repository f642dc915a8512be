"""python -m costcalc"""

from costcalc.cli import main

main()
