from nesy.cli import run

run()
