from flask import Blueprint

blp = Blueprint("backer_pages", __name__)
