from priorauth.cli.main import main

main()
