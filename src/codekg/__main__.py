from codekg.cli import main

main()
