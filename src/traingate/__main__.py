from traingate.cli.app import main

main()
